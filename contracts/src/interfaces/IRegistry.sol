// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

/// @title IRegistry
/// @notice Operators post ETH collateral and name the committer key that signs their
///         commitments; validator BLS keys are bound to an operator optimistically (a
///         proof-of-possession signature is posted, not checked) and any invalid proof can be
///         shown on-chain within the fraud-proof window. Only the Slasher moves collateral.
interface IRegistry {
    /// @notice An operator's record.
    /// @param committer The ECDSA address that signs the operator's commitments.
    /// @param optOutRequestedAt When the operator asked to leave (0 while active).
    /// @param openDisputes Inclusion disputes open against the operator (block withdrawal).
    /// @param collateral Wei still at stake.
    /// @param lastRegistrationAt Time of the operator's latest validator batch.
    /// @param epoch Bumped on every exit, so keys bound before an exit are dead afterwards.
    struct Operator {
        address committer;
        uint48 optOutRequestedAt;
        uint32 openDisputes;
        uint128 collateral;
        uint48 lastRegistrationAt;
        uint24 epoch;
    }

    /// @notice A validator key's binding, one storage slot.
    /// @param operator The operator the key is bound to (zero when unbound).
    /// @param epoch The operator's epoch at registration.
    /// @param batchId The registration batch that carried the key's signature.
    /// @param registeredAt Registration time; the key is active once the fraud window passed.
    struct ValidatorKey {
        address operator;
        uint24 epoch;
        uint32 batchId;
        uint40 registeredAt;
    }

    /// @notice Evidence that a posted proof-of-possession signature is invalid.
    /// @param batchId The registration batch that carried the signature.
    /// @param index The key's position in that batch.
    /// @param entries `keccak256(pubkey ‖ signature)` of every key of the batch, in order.
    /// @param pubkey The 48-byte compressed G1 public key.
    /// @param signature The 96-byte compressed G2 signature as posted.
    /// @param pubkeyPoint The public key in EIP-2537 encoding (128 bytes).
    /// @param signaturePoint The signature in EIP-2537 encoding (256 bytes).
    struct RegistrationFraudProof {
        uint32 batchId;
        uint256 index;
        bytes32[] entries;
        bytes pubkey;
        bytes signature;
        bytes pubkeyPoint;
        bytes signaturePoint;
    }

    /// @notice An operator joined.
    event OperatorRegistered(
        address indexed operator, address indexed committer, uint256 collateral
    );
    /// @notice Collateral was added.
    event CollateralAdded(address indexed operator, uint256 amount, uint256 collateral);
    /// @notice A batch of validator keys was bound to `operator`.
    /// @param batchId The batch id (sequential from 1).
    /// @param keysAndSignatures The packed `pubkey(48) ‖ signature(96)` records as posted.
    event ValidatorBatchRegistered(
        address indexed operator, uint32 indexed batchId, bytes keysAndSignatures
    );
    /// @notice One key of a batch was bound.
    event ValidatorRegistered(
        bytes32 indexed pubkeyHash, address indexed operator, uint32 indexed batchId
    );
    /// @notice A key's proof of possession was shown invalid; the key is unbound.
    event RegistrationFraudProven(
        bytes32 indexed pubkeyHash, address indexed operator, address indexed challenger
    );
    /// @notice The operator asked to leave.
    event OptOutRequested(address indexed operator, uint256 withdrawableAt);
    /// @notice The operator left and took its collateral.
    event CollateralWithdrawn(address indexed operator, uint256 amount);
    /// @notice Collateral was slashed.
    /// @param amount Wei taken from the operator.
    /// @param reward Part of `amount` paid to `challenger`; the rest stays locked forever (a
    ///        challenger that cannot receive ETH gets nothing and its share stays locked).
    event Slashed(
        address indexed operator, address indexed challenger, uint256 amount, uint256 reward
    );

    /// @notice A constructor parameter is out of range.
    error InvalidParameters();
    /// @notice The posted collateral is below the minimum.
    error InsufficientCollateral(uint256 sent, uint256 minimum);
    /// @notice The caller is already an operator.
    error OperatorExists(address operator);
    /// @notice The committer address is zero or used by another operator.
    error CommitterTaken(address committer);
    /// @notice The caller is not a registered operator.
    error NotOperator(address account);
    /// @notice The operator asked to leave and can no longer add keys or opt out again.
    error OperatorExiting(address operator);
    /// @notice The packed registration data is empty or not a multiple of 144 bytes.
    error BadRegistrationData(uint256 length);
    /// @notice The key is already bound to a live operator.
    error KeyAlreadyRegistered(bytes32 pubkeyHash);
    /// @notice The key is not bound, or not through the named batch.
    error UnknownKey(bytes32 pubkeyHash);
    /// @notice The fraud-proof window of this key has passed.
    error FraudWindowClosed(bytes32 pubkeyHash, uint256 closedAt);
    /// @notice The supplied entries do not hash to the batch's commitment or miss the key.
    error EntriesMismatch(uint32 batchId);
    /// @notice The proof-of-possession signature verifies: there is no fraud.
    error RegistrationValid(bytes32 pubkeyHash);
    /// @notice Only the Slasher may call this.
    error NotSlasher(address caller);
    /// @notice The operator has not asked to leave.
    error OptOutNotRequested(address operator);
    /// @notice The exit delay (or the fraud window of the latest batch) has not passed.
    error ExitNotReady(uint256 readyAt);
    /// @notice Disputes are still open against the operator.
    error DisputesOpen(uint256 count);
    /// @notice Returning collateral to the withdrawing operator failed.
    error TransferFailed(address to, uint256 amount);

    /// @notice Joins as an operator with `msg.value` collateral and `committer` as signing key.
    function registerOperator(address committer) external payable;

    /// @notice Adds `msg.value` to the caller's collateral.
    function addCollateral() external payable;

    /// @notice Binds validator keys to the caller, optimistically.
    /// @param keysAndSignatures Packed records `pubkey(48) ‖ popSignature(96)`, both in the
    ///        compressed ZCash encoding; the signature is over {popMessage} of the committer.
    /// @return batchId The id under which the batch's commitment is stored.
    function registerValidators(bytes calldata keysAndSignatures) external returns (uint32 batchId);

    /// @notice Unbinds a key whose proof of possession is invalid and slashes its operator.
    function proveRegistrationFraud(RegistrationFraudProof calldata proof) external;

    /// @notice Starts the exit delay; the operator stays slashable until it withdraws.
    function requestOptOut() external;

    /// @notice Returns the collateral once the delay passed and no dispute is open.
    function withdraw() external;

    /// @notice Takes up to `amount` from `operator`: a share to `challenger`, the rest locked.
    /// @return slashed The wei actually taken (capped by the remaining collateral).
    function slash(address operator, uint256 amount, address challenger)
        external
        returns (uint256 slashed);

    /// @notice Marks one more open dispute against `operator` (Slasher only).
    function lockOperator(address operator) external;

    /// @notice Marks one open dispute against `operator` as closed (Slasher only).
    function unlockOperator(address operator) external;

    /// @notice The committer registered for the validator key, or zero when the key is
    ///         unbound, still inside its fraud window, or its operator has left.
    function committerOf(bytes32 pubkeyHash) external view returns (address);

    /// @notice The operator whose committer is `committer`, or zero (none, or it withdrew).
    function operatorOfCommitter(address committer) external view returns (address);

    /// @notice The operator and committer for a validator key (zeroes as for committerOf).
    function resolve(bytes32 pubkeyHash) external view returns (address operator, address committer);

    /// @notice Whether the key is usable for new commitments: bound, out of its fraud
    ///         window, operator not exiting and collateral at least the minimum.
    function isActive(bytes32 pubkeyHash) external view returns (bool);

    /// @notice An operator's record.
    function operatorOf(address operator) external view returns (Operator memory);

    /// @notice A validator key's binding.
    function validatorKey(bytes32 pubkeyHash) external view returns (ValidatorKey memory);

    /// @notice The message a validator key signs to delegate to `committer`.
    function popMessage(address committer) external view returns (bytes memory);

    /// @notice The Slasher, the only account that moves collateral.
    function slasher() external view returns (address);

    /// @notice Seconds between {requestOptOut} and {withdraw}.
    function exitDelay() external view returns (uint256);

    /// @notice Wei slashed and locked in this contract forever.
    function burned() external view returns (uint256);
}

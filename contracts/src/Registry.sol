// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {IRegistry} from "./interfaces/IRegistry.sol";
import {BLS} from "./lib/BLS.sol";

/// @title Registry
/// @notice See {IRegistry}. Keys are registered optimistically: a batch stores one slot per
///         key plus one commitment per batch, `keccak256(entry_0 ‖ … ‖ entry_{n-1})` with
///         `entry_i = keccak256(pubkey_i ‖ signature_i)`; an invalid proof of possession is
///         shown with {proveRegistrationFraud} within `fraudWindow`, and a key only counts
///         (for {committerOf}) once that window has passed.
contract Registry is IRegistry {
    /// @notice Bytes per packed registration record: pubkey (48) ‖ signature (96).
    uint256 internal constant RECORD = 144;
    uint256 internal constant BPS = 10_000;
    /// @notice Gas forwarded with a challenger's reward.
    uint256 internal constant PAYMENT_GAS = 50_000;

    /// @notice Least collateral to register (and to count as active).
    uint256 public immutable minCollateral;
    /// @notice Seconds between {requestOptOut} and {withdraw}.
    uint256 public immutable exitDelay;
    /// @notice Seconds after a batch during which its signatures can be proven invalid.
    uint256 public immutable fraudWindow;
    /// @notice Wei slashed for a key registered with an invalid proof of possession.
    uint256 public immutable fraudPenalty;
    /// @notice Share of every slash paid to the challenger, in basis points.
    uint256 public immutable challengerShareBps;
    /// @notice The only account allowed to slash and to lock operators.
    address public immutable slasher;

    mapping(address operator => Operator) private _operators;
    mapping(address committer => address operator) public operatorOfCommitter;
    mapping(bytes32 pubkeyHash => ValidatorKey) private _keys;
    mapping(uint32 batchId => bytes32) public batchCommitment;
    uint32 public batchCount;
    /// @notice Sum of all operators' collateral; the rest of the balance is burned.
    uint256 public totalCollateral;

    /// @param minCollateral_ Least collateral (non-zero).
    /// @param exitDelay_ Opt-out delay; must cover the Slasher's evidence windows.
    /// @param fraudWindow_ Fraud-proof window for registrations (non-zero).
    /// @param fraudPenalty_ Penalty for an invalid proof of possession.
    /// @param challengerShareBps_ Challenger's share of a slash (≤ 10 000).
    /// @param slasher_ The Slasher's address (precomputed: it is deployed after this).
    constructor(
        uint256 minCollateral_,
        uint256 exitDelay_,
        uint256 fraudWindow_,
        uint256 fraudPenalty_,
        uint256 challengerShareBps_,
        address slasher_
    ) {
        require(
            minCollateral_ != 0 && fraudWindow_ != 0 && challengerShareBps_ <= BPS
                && slasher_ != address(0),
            InvalidParameters()
        );
        minCollateral = minCollateral_;
        exitDelay = exitDelay_;
        fraudWindow = fraudWindow_;
        fraudPenalty = fraudPenalty_;
        challengerShareBps = challengerShareBps_;
        slasher = slasher_;
    }

    modifier onlySlasher() {
        require(msg.sender == slasher, NotSlasher(msg.sender));
        _;
    }

    /// @inheritdoc IRegistry
    function registerOperator(address committer) external payable {
        Operator storage op = _operators[msg.sender];
        require(op.committer == address(0), OperatorExists(msg.sender));
        require(
            committer != address(0) && operatorOfCommitter[committer] == address(0),
            CommitterTaken(committer)
        );
        require(msg.value >= minCollateral, InsufficientCollateral(msg.value, minCollateral));
        operatorOfCommitter[committer] = msg.sender;
        op.committer = committer;
        op.collateral = uint128(msg.value);
        totalCollateral += msg.value;
        emit OperatorRegistered(msg.sender, committer, msg.value);
    }

    /// @inheritdoc IRegistry
    function addCollateral() external payable {
        Operator storage op = _operators[msg.sender];
        require(op.committer != address(0), NotOperator(msg.sender));
        op.collateral += uint128(msg.value);
        totalCollateral += msg.value;
        emit CollateralAdded(msg.sender, msg.value, op.collateral);
    }

    /// @inheritdoc IRegistry
    function registerValidators(bytes calldata keysAndSignatures)
        external
        returns (uint32 batchId)
    {
        Operator storage op = _operators[msg.sender];
        require(op.committer != address(0), NotOperator(msg.sender));
        require(op.optOutRequestedAt == 0, OperatorExiting(msg.sender));
        uint256 size = keysAndSignatures.length;
        require(size != 0 && size % RECORD == 0, BadRegistrationData(size));
        uint256 n = size / RECORD;
        batchId = ++batchCount;
        uint24 epoch = op.epoch;
        ValidatorKey memory record = ValidatorKey({
            operator: msg.sender,
            epoch: epoch,
            batchId: batchId,
            registeredAt: uint40(block.timestamp)
        });
        bytes32[] memory entries = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            uint256 off = i * RECORD;
            bytes32 pubkeyHash = _hashSlice(keysAndSignatures, off, 48);
            entries[i] = _hashSlice(keysAndSignatures, off, RECORD);
            ValidatorKey storage key = _keys[pubkeyHash];
            address bound = key.operator;
            if (bound != address(0)) {
                require(!_live(key.operator, key.epoch), KeyAlreadyRegistered(pubkeyHash));
            }
            _keys[pubkeyHash] = record;
            emit ValidatorRegistered(pubkeyHash, msg.sender, batchId);
        }
        batchCommitment[batchId] = keccak256(abi.encodePacked(entries));
        op.lastRegistrationAt = uint48(block.timestamp);
        emit ValidatorBatchRegistered(msg.sender, batchId, keysAndSignatures);
    }

    /// @inheritdoc IRegistry
    function proveRegistrationFraud(RegistrationFraudProof calldata proof) external {
        bytes32 pubkeyHash = keccak256(proof.pubkey);
        ValidatorKey memory key = _keys[pubkeyHash];
        require(
            proof.pubkey.length == 48 && proof.signature.length == 96 && key.operator != address(0)
                && key.batchId == proof.batchId && _live(key.operator, key.epoch),
            UnknownKey(pubkeyHash)
        );
        uint256 closesAt = uint256(key.registeredAt) + fraudWindow;
        require(block.timestamp < closesAt, FraudWindowClosed(pubkeyHash, closesAt));
        require(
            keccak256(abi.encodePacked(proof.entries)) == batchCommitment[proof.batchId]
                && proof.index < proof.entries.length
                && proof.entries[proof.index]
                    == keccak256(abi.encodePacked(proof.pubkey, proof.signature)),
            EntriesMismatch(proof.batchId)
        );
        bool invalid = BLS.encodingInvalid(proof.pubkey) || BLS.encodingInvalid(proof.signature);
        if (!invalid) {
            BLS.checkG1(proof.pubkey, proof.pubkeyPoint);
            BLS.checkG2(proof.signature, proof.signaturePoint);
            invalid = !BLS.verify(
                proof.pubkeyPoint,
                proof.signaturePoint,
                popMessage(_operators[key.operator].committer)
            );
        }
        require(invalid, RegistrationValid(pubkeyHash));
        delete _keys[pubkeyHash];
        emit RegistrationFraudProven(pubkeyHash, key.operator, msg.sender);
        _slash(key.operator, fraudPenalty, msg.sender);
    }

    /// @inheritdoc IRegistry
    function requestOptOut() external {
        Operator storage op = _operators[msg.sender];
        require(op.committer != address(0), NotOperator(msg.sender));
        require(op.optOutRequestedAt == 0, OperatorExiting(msg.sender));
        op.optOutRequestedAt = uint48(block.timestamp);
        emit OptOutRequested(msg.sender, block.timestamp + exitDelay);
    }

    /// @inheritdoc IRegistry
    function withdraw() external {
        Operator storage op = _operators[msg.sender];
        require(op.committer != address(0), NotOperator(msg.sender));
        require(op.optOutRequestedAt != 0, OptOutNotRequested(msg.sender));
        uint256 readyAt = uint256(op.optOutRequestedAt) + exitDelay;
        uint256 fraudClosed = uint256(op.lastRegistrationAt) + fraudWindow;
        if (fraudClosed > readyAt) readyAt = fraudClosed;
        require(block.timestamp >= readyAt, ExitNotReady(readyAt));
        require(op.openDisputes == 0, DisputesOpen(op.openDisputes));
        uint256 amount = op.collateral;
        delete operatorOfCommitter[op.committer];
        op.committer = address(0);
        op.optOutRequestedAt = 0;
        op.collateral = 0;
        op.lastRegistrationAt = 0;
        ++op.epoch;
        totalCollateral -= amount;
        emit CollateralWithdrawn(msg.sender, amount);
        _send(msg.sender, amount);
    }

    /// @inheritdoc IRegistry
    function slash(address operator, uint256 amount, address challenger)
        external
        onlySlasher
        returns (uint256)
    {
        return _slash(operator, amount, challenger);
    }

    /// @inheritdoc IRegistry
    function lockOperator(address operator) external onlySlasher {
        ++_operators[operator].openDisputes;
    }

    /// @inheritdoc IRegistry
    function unlockOperator(address operator) external onlySlasher {
        --_operators[operator].openDisputes;
    }

    /// @inheritdoc IRegistry
    function committerOf(bytes32 pubkeyHash) external view returns (address committer) {
        (, committer) = resolve(pubkeyHash);
    }

    /// @inheritdoc IRegistry
    function resolve(bytes32 pubkeyHash) public view returns (address operator, address committer) {
        ValidatorKey memory key = _keys[pubkeyHash];
        if (key.operator == address(0)) return (address(0), address(0));
        Operator storage op = _operators[key.operator];
        if (op.committer == address(0) || op.epoch != key.epoch) return (address(0), address(0));
        if (block.timestamp < uint256(key.registeredAt) + fraudWindow) {
            return (address(0), address(0));
        }
        return (key.operator, op.committer);
    }

    /// @inheritdoc IRegistry
    function isActive(bytes32 pubkeyHash) external view returns (bool) {
        (address operator,) = resolve(pubkeyHash);
        if (operator == address(0)) return false;
        Operator storage op = _operators[operator];
        return op.optOutRequestedAt == 0 && op.collateral >= minCollateral;
    }

    /// @inheritdoc IRegistry
    function operatorOf(address operator) external view returns (Operator memory) {
        return _operators[operator];
    }

    /// @inheritdoc IRegistry
    function validatorKey(bytes32 pubkeyHash) external view returns (ValidatorKey memory) {
        return _keys[pubkeyHash];
    }

    /// @inheritdoc IRegistry
    function popMessage(address committer) public view returns (bytes memory) {
        return abi.encodePacked("BATON_REGISTRATION_V1", block.chainid, committer);
    }

    /// @inheritdoc IRegistry
    function burned() external view returns (uint256) {
        return address(this).balance - totalCollateral;
    }

    function _slash(address operator, uint256 amount, address challenger)
        private
        returns (uint256 slashed)
    {
        Operator storage op = _operators[operator];
        uint256 collateral = op.collateral;
        slashed = amount < collateral ? amount : collateral;
        uint256 reward = slashed * challengerShareBps / BPS;
        // forge-lint: disable-next-line(unsafe-typecast)
        op.collateral = uint128(collateral - slashed);
        totalCollateral -= slashed;
        if (reward != 0 && !_trySend(challenger, reward)) {
            // A challenger that cannot be paid forfeits its share: it stays locked too, and
            // the slash (or a dispute's resolution) can never be blocked by the recipient.
            reward = 0;
        }
        emit Slashed(operator, challenger, slashed, reward);
    }

    /// @dev Whether a key bound to (`operator`, `epoch`) still belongs to a registered operator.
    function _live(address operator, uint24 epoch) private view returns (bool) {
        Operator storage op = _operators[operator];
        return op.committer != address(0) && op.epoch == epoch;
    }

    function _send(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        require(ok, TransferFailed(to, amount));
    }

    /// @dev Best-effort payment to a third party, with a gas cap so a recipient cannot
    ///      grief the caller; returns whether it went through.
    function _trySend(address to, uint256 amount) private returns (bool ok) {
        (ok,) = to.call{value: amount, gas: PAYMENT_GAS}("");
    }

    /// @dev keccak256 of `data[off:off+len]` without allocating.
    function _hashSlice(bytes calldata data, uint256 off, uint256 len)
        private
        pure
        returns (bytes32 h)
    {
        assembly ("memory-safe") {
            let p := mload(0x40)
            calldatacopy(p, add(data.offset, off), len)
            h := keccak256(p, len)
        }
    }
}

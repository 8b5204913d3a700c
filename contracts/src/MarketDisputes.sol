// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {IMarketSlasher} from "./interfaces/IMarketSlasher.sol";
import {IRegistry} from "./interfaces/IRegistry.sol";
import {ISlasher} from "./interfaces/ISlasher.sol";
import {BatchRoot} from "./lib/BatchRoot.sol";
import {CommitmentLib} from "./lib/CommitmentLib.sol";
import {MarketLib} from "./lib/MarketLib.sol";

/// @title MarketDisputes
/// @notice Step ⑧ for the ordering marketplace (docs/marketplace.md "Disputes"): a
///         committer that receipted a bid and signed a clearing which (a) leaves the receipt
///         out of its root, (b) awards the receipt's product to a lower bid, or (a') awards
///         nothing to the receipt's product although nothing awarded conflicts with it, is
///         slashed the safety penalty. Same rules as `baton_preconf::market::dispute`.
/// @dev The Slasher's code would exceed the EIP-170 size limit with these paths inside, so
///      the Slasher deploys this contract in its constructor and runs it with DELEGATECALL
///      from its fallback: the paths are called at the Slasher's address, under its EIP-712
///      domain (`address(this)` is the Slasher), slash through the Registry as the Slasher and
///      emit from it. Called directly, every function reverts with {NotDelegated}. The only
///      state, the replay set, lives in an ERC-7201 namespace of the Slasher's storage.
///
///      Replay key: `keccak256(abi.encode(fault, clearingDigest))`. One signed clearing costs
///      at most one safety penalty per fault kind, however many receipts it wrongs: bids are
///      cheap to multiply (a losing bid costs its bidder nothing), so a per-receipt key would
///      let bid spam turn one faulty clearing into the whole collateral. A second clearing
///      signed for the same slot is a separate signed statement and is judged on its own.
contract MarketDisputes is IMarketSlasher {
    /// @custom:storage-location erc7201:baton.storage.MarketDisputes
    struct MarketStorage {
        /// (fault, clearing digest) already slashed.
        mapping(bytes32 key => bool) slashed;
    }

    /// @dev `keccak256(abi.encode(uint256(keccak256("baton.storage.MarketDisputes")) - 1))
    ///      & ~bytes32(uint256(0xff))`.
    bytes32 internal constant STORAGE_SLOT =
        0x19bcd2c651f2481a9f1bacb042649601028d6e971463f10c75bb2635e86e9500;

    /// @notice The Slasher that deployed this code and runs it.
    address public immutable slasher;
    /// @notice The Slasher's Registry.
    IRegistry public immutable registry;
    /// @notice The Slasher's safety penalty.
    uint256 public immutable safetyPenalty;

    /// @param registry_ The Slasher's Registry.
    /// @param safetyPenalty_ The Slasher's safety penalty (wei).
    constructor(IRegistry registry_, uint256 safetyPenalty_) {
        slasher = msg.sender;
        registry = registry_;
        safetyPenalty = safetyPenalty_;
    }

    /// @dev Only through the Slasher's DELEGATECALL (see the contract's notes).
    modifier delegated() {
        require(address(this) == slasher, NotDelegated());
        _;
    }

    /// @inheritdoc IMarketSlasher
    function slashOmittedBid(
        BidReceipt calldata receipt,
        bytes calldata receiptSig,
        Clearing calldata clearing,
        bytes calldata clearingSig,
        bytes32 leafHash,
        bytes32[] calldata siblings
    ) external delegated returns (uint256 slashed) {
        (bytes32 receiptDigest, bytes32 clearingDigest, address operator) =
            _sameAuction(receipt, receiptSig, clearing, clearingSig);
        if (receipt.seq < clearing.bidCount) {
            // Inside the count: leaf `seq` must provably hold something else.
            require(
                BatchRoot.verify(
                    clearing.bidsRoot, clearing.bidCount, receipt.seq, leafHash, siblings
                ),
                ISlasher.InvalidPositionProof()
            );
            require(leafHash != MarketLib.receiptHash(receipt), ReceiptIncluded(receipt.seq));
        }
        // At or beyond the count: the signed count alone leaves the receipt out.
        slashed = _slashMarket(
            MarketFault.OmittedBid, operator, receipt.slot, clearingDigest, receiptDigest
        );
    }

    /// @inheritdoc IMarketSlasher
    function slashLowerWinner(
        BidReceipt calldata receipt,
        bytes calldata receiptSig,
        Clearing calldata clearing,
        bytes calldata clearingSig,
        uint256 awardIndex
    ) external delegated returns (uint256 slashed) {
        (bytes32 receiptDigest, bytes32 clearingDigest, address operator) =
            _sameAuction(receipt, receiptSig, clearing, clearingSig);
        uint256 n = clearing.awards.length;
        require(awardIndex < n, AwardOutOfRange(awardIndex, n));
        Award calldata award = clearing.awards[awardIndex];
        require(award.product == receipt.product, DifferentProduct(receipt.product, award.product));
        require(
            receipt.amount > award.amount
                || (receipt.amount == award.amount && receipt.seq < award.seq),
            AwardNotLower(award.amount, award.seq)
        );
        slashed = _slashMarket(
            MarketFault.LowerWinner, operator, receipt.slot, clearingDigest, receiptDigest
        );
    }

    /// @inheritdoc IMarketSlasher
    function slashIgnoredProduct(
        BidReceipt calldata receipt,
        bytes calldata receiptSig,
        Product calldata product,
        Clearing calldata clearing,
        bytes calldata clearingSig,
        Product[] calldata awardProducts
    ) external delegated returns (uint256 slashed) {
        (bytes32 receiptDigest, bytes32 clearingDigest, address operator) =
            _sameAuction(receipt, receiptSig, clearing, clearingSig);
        _checkIgnored(receipt.product, product, clearing.awards, awardProducts);
        slashed = _slashMarket(
            MarketFault.IgnoredProduct, operator, receipt.slot, clearingDigest, receiptDigest
        );
    }

    /// @inheritdoc IMarketSlasher
    function receiptDigestOf(BidReceipt calldata receipt) public view delegated returns (bytes32) {
        return CommitmentLib.typedDigest(
            CommitmentLib.domainSeparator(address(this)), MarketLib.receiptHash(receipt)
        );
    }

    /// @inheritdoc IMarketSlasher
    function clearingDigestOf(Clearing calldata clearing) public view delegated returns (bytes32) {
        return CommitmentLib.typedDigest(
            CommitmentLib.domainSeparator(address(this)), MarketLib.checkedClearingHash(clearing)
        );
    }

    /// @inheritdoc IMarketSlasher
    function receiptStructHash(BidReceipt calldata receipt) external pure returns (bytes32) {
        return MarketLib.receiptHash(receipt);
    }

    /// @inheritdoc IMarketSlasher
    function productIdOf(Product calldata product) external pure returns (bytes32) {
        return MarketLib.productId(product);
    }

    /// @inheritdoc IMarketSlasher
    function marketSlashed(MarketFault fault, bytes32 clearingDigest)
        external
        view
        delegated
        returns (bool)
    {
        return _storage().slashed[_marketKey(fault, clearingDigest)];
    }

    /// @dev The checks every fault shares (`same_auction` in Rust): the receipt signed by its
    ///      committer, the clearing well-shaped and signed by its committer, one slot, one
    ///      committer, and that committer's operator registered.
    function _sameAuction(
        BidReceipt calldata receipt,
        bytes calldata receiptSig,
        Clearing calldata clearing,
        bytes calldata clearingSig
    ) private view returns (bytes32 receiptDigest, bytes32 clearingDigest, address operator) {
        receiptDigest = receiptDigestOf(receipt);
        address signer = CommitmentLib.recover(receiptDigest, receiptSig);
        require(signer == receipt.committer, ISlasher.SignerMismatch(signer, receipt.committer));
        clearingDigest = clearingDigestOf(clearing);
        signer = CommitmentLib.recover(clearingDigest, clearingSig);
        require(signer == clearing.committer, ISlasher.SignerMismatch(signer, clearing.committer));
        require(receipt.slot == clearing.slot, SlotMismatch(receipt.slot, clearing.slot));
        require(
            receipt.committer == clearing.committer,
            CommitterMismatch(receipt.committer, clearing.committer)
        );
        operator = registry.operatorOfCommitter(receipt.committer);
        require(operator != address(0), UnknownCommitter(receipt.committer));
    }

    /// @dev Fault (a') given the signatures: `product` is the receipt's valid product, no
    ///      award is for it and no awarded product (preimage checked) shares a rollup with it.
    ///      Bounded: at most 64 awards (shape), 8 rollups per preimage.
    function _checkIgnored(
        bytes32 receiptProduct,
        Product calldata product,
        Award[] calldata awards,
        Product[] calldata awardProducts
    ) private pure {
        require(MarketLib.productId(product) == receiptProduct, PreimageMismatch(0));
        require(MarketLib.isValid(product), InvalidProduct(0));
        uint256 n = awards.length;
        require(awardProducts.length == n, AwardProductCount(awardProducts.length, n));
        uint64[] memory mine = product.rollups; // at most 8 (valid)
        for (uint256 i; i < n; ++i) {
            Product calldata awarded = awardProducts[i];
            uint64[] calldata theirs = awarded.rollups;
            require(theirs.length <= MarketLib.MAX_BUNDLE_ROLLUPS, InvalidProduct(i + 1));
            bytes32 id = awards[i].product;
            require(MarketLib.productId(awarded) == id, PreimageMismatch(i + 1));
            require(id != receiptProduct, ProductAwarded(i));
            require(!MarketLib.shareRollup(theirs, mine), ConflictingAward(i));
        }
    }

    /// @dev Marks (fault, clearing) slashed or reverts, then slashes and pays the caller's share.
    function _slashMarket(
        MarketFault fault,
        address operator,
        uint64 slot,
        bytes32 clearingDigest,
        bytes32 receiptDigest
    ) private returns (uint256 slashed) {
        bytes32 key = _marketKey(fault, clearingDigest);
        MarketStorage storage $ = _storage();
        require(!$.slashed[key], ISlasher.AlreadySlashed(key));
        $.slashed[key] = true;
        slashed = registry.slash(operator, safetyPenalty, msg.sender);
        emit MarketFaultSlashed(
            fault, operator, slot, clearingDigest, receiptDigest, msg.sender, slashed
        );
    }

    /// @dev The replay set in the Slasher's storage.
    function _storage() private pure returns (MarketStorage storage $) {
        assembly {
            $.slot := STORAGE_SLOT
        }
    }

    /// @dev The replay key (see the contract's notes).
    function _marketKey(MarketFault fault, bytes32 clearingDigest) private pure returns (bytes32) {
        return keccak256(abi.encode(fault, clearingDigest));
    }
}

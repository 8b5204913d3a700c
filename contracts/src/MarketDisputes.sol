// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {SlasherBase} from "./SlasherBase.sol";
import {IMarketSlasher} from "./interfaces/IMarketSlasher.sol";
import {BatchRoot} from "./lib/BatchRoot.sol";
import {CommitmentLib} from "./lib/CommitmentLib.sol";
import {MarketLib} from "./lib/MarketLib.sol";

/// @title MarketDisputes
/// @notice Step ⑧ for the ordering marketplace (docs/marketplace.md "Disputes"): a
///         committer that receipted a bid and signed a clearing which (a) leaves the receipt
///         out of its root, (b) awards the receipt's product to a lower bid, or (a') awards
///         nothing to the receipt's product although nothing awarded conflicts with it, is
///         slashed the safety penalty. Same rules as `baton_preconf::market::dispute`.
/// @dev Replay key: `keccak256(abi.encode(fault, clearingDigest))`. One signed clearing costs
///      at most one safety penalty per fault kind, however many receipts it wrongs: bids are
///      cheap to multiply (a losing bid costs its bidder nothing), so a per-receipt key would
///      let bid spam turn one faulty clearing into the whole collateral. A second clearing
///      signed for the same slot is a separate signed statement and is judged on its own.
abstract contract MarketDisputes is SlasherBase, IMarketSlasher {
    /// @dev (fault, clearing digest) already slashed.
    mapping(bytes32 key => bool) private _marketSlashed;

    /// @inheritdoc IMarketSlasher
    function slashOmittedBid(
        BidReceipt calldata receipt,
        bytes calldata receiptSig,
        Clearing calldata clearing,
        bytes calldata clearingSig,
        bytes32 leafHash,
        bytes32[] calldata siblings
    ) external returns (uint256 slashed) {
        (bytes32 receiptDigest, bytes32 clearingDigest, address operator) =
            _sameAuction(receipt, receiptSig, clearing, clearingSig);
        if (receipt.seq < clearing.bidCount) {
            // Inside the count: leaf `seq` must provably hold something else.
            require(
                BatchRoot.verify(
                    clearing.bidsRoot, clearing.bidCount, receipt.seq, leafHash, siblings
                ),
                InvalidPositionProof()
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
    ) external returns (uint256 slashed) {
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
    ) external returns (uint256 slashed) {
        (bytes32 receiptDigest, bytes32 clearingDigest, address operator) =
            _sameAuction(receipt, receiptSig, clearing, clearingSig);
        _checkIgnored(receipt.product, product, clearing.awards, awardProducts);
        slashed = _slashMarket(
            MarketFault.IgnoredProduct, operator, receipt.slot, clearingDigest, receiptDigest
        );
    }

    /// @inheritdoc IMarketSlasher
    function receiptDigestOf(BidReceipt calldata receipt) public view returns (bytes32) {
        return CommitmentLib.typedDigest(domainSeparator(), MarketLib.receiptHash(receipt));
    }

    /// @inheritdoc IMarketSlasher
    function clearingDigestOf(Clearing calldata clearing) public view returns (bytes32) {
        return CommitmentLib.typedDigest(domainSeparator(), MarketLib.checkedClearingHash(clearing));
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
    function marketSlashed(MarketFault fault, bytes32 clearingDigest) external view returns (bool) {
        return _marketSlashed[_marketKey(fault, clearingDigest)];
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
        require(signer == receipt.committer, SignerMismatch(signer, receipt.committer));
        clearingDigest = clearingDigestOf(clearing);
        signer = CommitmentLib.recover(clearingDigest, clearingSig);
        require(signer == clearing.committer, SignerMismatch(signer, clearing.committer));
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
        require(!_marketSlashed[key], AlreadySlashed(key));
        _marketSlashed[key] = true;
        slashed = registry.slash(operator, safetyPenalty, msg.sender);
        emit MarketFaultSlashed(
            fault, operator, slot, clearingDigest, receiptDigest, msg.sender, slashed
        );
    }

    /// @dev The replay key (see the contract's notes).
    function _marketKey(MarketFault fault, bytes32 clearingDigest) private pure returns (bytes32) {
        return keccak256(abi.encode(fault, clearingDigest));
    }
}

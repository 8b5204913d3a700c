// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {IMarketSlasher} from "../interfaces/IMarketSlasher.sol";

/// @title MarketLib
/// @notice EIP-712 hashing of the marketplace's `BidReceipt` and `Clearing`, product ids,
///         product bounds and conflicts, and the clearing's shape checks. Must agree bit for
///         bit with `baton_preconf::market` (asserted by the golden vectors in market.json).
library MarketLib {
    bytes32 internal constant BID_RECEIPT_TYPEHASH = keccak256(
        "BidReceipt(bytes32 bidHash,uint64 slot,bytes32 product,uint256 amount,uint32 seq,uint64 arrivalMs,address committer)"
    );
    bytes32 internal constant AWARD_TYPEHASH =
        keccak256("Award(bytes32 product,bytes32 bidHash,uint256 amount,uint32 seq)");
    bytes32 internal constant CLEARING_TYPEHASH = keccak256(
        "Clearing(uint64 slot,address committer,bytes32 bidsRoot,uint32 bidCount,Award[] awards)Award(bytes32 product,bytes32 bidHash,uint256 amount,uint32 seq)"
    );

    /// @notice Most receipts one committer issues for one slot (`MAX_BIDS_PER_SLOT`).
    uint256 internal constant MAX_BIDS_PER_SLOT = 4096;
    /// @notice Most products (so awards) per slot (`MAX_PRODUCTS_PER_SLOT`).
    uint256 internal constant MAX_PRODUCTS_PER_SLOT = 64;
    /// @notice Most positions one product claims over all its rollups (`MAX_BID_TXS`).
    uint256 internal constant MAX_BID_TXS = 64;
    /// @notice Fewest and most rollups in a bundle.
    uint256 internal constant MIN_BUNDLE_ROLLUPS = 2;
    uint256 internal constant MAX_BUNDLE_ROLLUPS = 8;

    /// @notice `hashStruct(BidReceipt)`.
    function receiptHash(IMarketSlasher.BidReceipt calldata r) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                BID_RECEIPT_TYPEHASH,
                r.bidHash,
                r.slot,
                r.product,
                r.amount,
                r.seq,
                r.arrivalMs,
                r.committer
            )
        );
    }

    /// @notice `hashStruct(Clearing)`; reverts with the shape errors of {IMarketSlasher}
    ///         unless the clearing passes `Clearing::check_shape` (bounded: at most 64 awards).
    function checkedClearingHash(IMarketSlasher.Clearing calldata c)
        internal
        pure
        returns (bytes32)
    {
        uint256 n = c.awards.length;
        require(c.bidCount <= MAX_BIDS_PER_SLOT, IMarketSlasher.TooManyBids(c.bidCount));
        require(n <= MAX_PRODUCTS_PER_SLOT, IMarketSlasher.TooManyAwards(n));
        require(
            c.bidCount != 0 || (c.bidsRoot == bytes32(0) && n == 0),
            IMarketSlasher.NonEmptyWithoutBids()
        );
        IMarketSlasher.Award[] calldata awards = c.awards;
        uint32 bidCount = c.bidCount;
        bytes32[] memory awardHashes = new bytes32[](n);
        // A 128-slot open-addressing set of the product ids seen (ids are keccak outputs, so
        // their low bits spread them); at most 64 entries, so every probe sequence ends.
        bytes32[128] memory seen;
        bool zeroSeen;
        for (uint256 i; i < n; ++i) {
            IMarketSlasher.Award calldata a = awards[i];
            (bytes32 product, uint256 amount, uint32 seq) = (a.product, a.amount, a.seq);
            require(seq < bidCount, IMarketSlasher.AwardSeqOutOfRange(i, seq, bidCount));
            require(amount != 0, IMarketSlasher.ZeroAward(i));
            if (product == bytes32(0)) {
                require(!zeroSeen, IMarketSlasher.DuplicateAward(i, product));
                zeroSeen = true;
            } else {
                uint256 slot = uint256(product) & 127;
                while (seen[slot] != bytes32(0)) {
                    require(seen[slot] != product, IMarketSlasher.DuplicateAward(i, product));
                    slot = (slot + 1) & 127;
                }
                seen[slot] = product;
            }
            awardHashes[i] = keccak256(abi.encode(AWARD_TYPEHASH, product, a.bidHash, amount, seq));
        }
        return keccak256(
            abi.encode(
                CLEARING_TYPEHASH,
                c.slot,
                c.committer,
                c.bidsRoot,
                c.bidCount,
                keccak256(abi.encodePacked(awardHashes))
            )
        );
    }

    /// @notice `keccak256(abi.encode(uint8 kind, uint64[] rollups, uint16 positions))`.
    function productId(IMarketSlasher.Product calldata p) internal pure returns (bytes32) {
        return keccak256(abi.encode(p.kind, p.rollups, p.positions));
    }

    /// @notice Whether `p` is within the product bounds of docs/marketplace.md (what
    ///         `Product::check` accepts, and only shapes a Rust `Product` can take).
    function isValid(IMarketSlasher.Product calldata p) internal pure returns (bool) {
        uint256 n = p.rollups.length;
        uint256 k = p.positions;
        if (p.kind == 0) return n == 1 && k != 0 && k <= MAX_BID_TXS;
        if (p.kind == 1) return n == 1 && k == 0;
        if (p.kind != 2) return false;
        if (n < MIN_BUNDLE_ROLLUPS || n > MAX_BUNDLE_ROLLUPS || k == 0 || k * n > MAX_BID_TXS) {
            return false;
        }
        for (uint256 i = 1; i < n; ++i) {
            if (p.rollups[i - 1] >= p.rollups[i]) return false;
        }
        return true;
    }

    /// @notice Whether the two rollup lists share an entry (the caller bounds both lengths).
    function shareRollup(uint64[] calldata a, uint64[] memory b) internal pure returns (bool) {
        for (uint256 i; i < a.length; ++i) {
            uint64 r = a[i];
            for (uint256 j; j < b.length; ++j) {
                if (r == b[j]) return true;
            }
        }
        return false;
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {MarketVectors} from "./utils/MarketVectors.sol";
import {IMarketSlasher} from "../src/interfaces/IMarketSlasher.sol";
import {CommitmentLib} from "../src/lib/CommitmentLib.sol";
import {MarketLib} from "../src/lib/MarketLib.sol";

/// @notice The marketplace's slashing paths on the golden vectors of market.json: the
///         receipts and clearings Rust signed are slashed (or refused) by the real Slasher,
///         so `baton_preconf::market::dispute` and {MarketDisputes} are proven to agree.
///         The vectors' auction: six receipts (seq 0..5) for top(1,2) 10, bundle(1,2) 12,
///         top(2,1) 11, whole(3) 5, whole(3) 5, top(1,2) 9 gwei; the honest clearing awards
///         bundle(1,2) to seq 1 and whole(3) to seq 3. Three unfair clearings: `omitsLast`
///         (bidCount 5), `swapsLeaf` (leaf 3 replaced, whole(3) to seq 4) and `dropsAward`
///         (the whole(3) award removed).
contract MarketDisputesTest is MarketVectors {
    string internal constant HONEST = ".clearing";
    string internal constant OMITS = ".unfair.omitsLast.clearing";
    string internal constant SWAPS = ".unfair.swapsLeaf.clearing";
    string internal constant DROPS = ".unfair.dropsAward.clearing";

    bytes32[] internal noSiblings;

    // ---- the vectors agree with the contract ----

    function test_VectorsAgree() public view {
        bytes32 sep = slasher.domainSeparator();
        vm.assertEq(sep, vm.parseJsonBytes32(json, ".domainSeparator"), "domain");
        vm.assertEq(
            MarketLib.BID_RECEIPT_TYPEHASH,
            vm.parseJsonBytes32(json, ".typeHashes.BidReceipt"),
            "BidReceipt type"
        );
        vm.assertEq(
            MarketLib.CLEARING_TYPEHASH,
            vm.parseJsonBytes32(json, ".typeHashes.Clearing"),
            "Clearing type"
        );
        vm.assertEq(
            MarketLib.AWARD_TYPEHASH, vm.parseJsonBytes32(json, ".typeHashes.Award"), "Award type"
        );
        for (uint256 i; i < 5; ++i) {
            vm.assertEq(
                market.productIdOf(_product(i)), vm.parseJsonBytes32(json, _productId(i)), "id"
            );
            vm.assertTrue(this.isValidProduct(_product(i)), "vector product valid");
        }
        for (uint256 i; i < 6; ++i) {
            IMarketSlasher.BidReceipt memory r = _receipt(i);
            string memory k = string.concat(".receipts[", vm.toString(i), "]");
            vm.assertEq(r.seq, i, "seq");
            bytes32 h = market.receiptStructHash(r);
            vm.assertEq(h, vm.parseJsonBytes32(json, string.concat(k, ".structHash")), "hash");
            bytes32 d = market.receiptDigestOf(r);
            vm.assertEq(d, vm.parseJsonBytes32(json, string.concat(k, ".digest")), "digest");
            vm.assertEq(CommitmentLib.typedDigest(sep, h), d, "digest parts");
            vm.assertEq(_recover(d, _receiptSig(i)), committer, "receipt signer");
            string memory b = string.concat(".bids[", vm.toString(i), "]");
            vm.assertEq(r.bidHash, vm.parseJsonBytes32(json, string.concat(b, ".digest")), "bid");
            // The honest clearing's proofs show each receipt at its seq.
            string memory p = string.concat(".proofs[", vm.toString(i), "]");
            vm.assertEq(h, vm.parseJsonBytes32(json, string.concat(p, ".leaf")), "leaf");
        }
        string[4] memory paths = [HONEST, OMITS, SWAPS, DROPS];
        for (uint256 i; i < 4; ++i) {
            IMarketSlasher.Clearing memory c = _clearing(paths[i]);
            bytes32 d = market.clearingDigestOf(c);
            vm.assertEq(d, vm.parseJsonBytes32(json, string.concat(paths[i], ".digest")), "digest");
            vm.assertEq(
                CommitmentLib.typedDigest(
                    sep, vm.parseJsonBytes32(json, string.concat(paths[i], ".structHash"))
                ),
                d,
                "clearing struct hash"
            );
            vm.assertEq(_recover(d, _clearingSig(paths[i])), committer, "clearing signer");
        }
    }

    /// Product bounds as `Product::check` (exposed for the test).
    function isValidProduct(IMarketSlasher.Product calldata p) external pure returns (bool) {
        return MarketLib.isValid(p);
    }

    function test_ProductBounds() public view {
        vm.assertTrue(this.isValidProduct(_p(0, _r(1, 0, 0), 64)), "top 64");
        vm.assertFalse(this.isValidProduct(_p(0, _r(1, 0, 0), 0)), "top 0");
        vm.assertFalse(this.isValidProduct(_p(0, _r(1, 0, 0), 65)), "top 65");
        vm.assertFalse(this.isValidProduct(_p(0, _r(1, 2, 0), 1)), "top, two rollups");
        vm.assertTrue(this.isValidProduct(_p(1, _r(7, 0, 0), 0)), "whole");
        vm.assertFalse(this.isValidProduct(_p(1, _r(7, 0, 0), 1)), "whole with positions");
        vm.assertTrue(this.isValidProduct(_p(2, _r(1, 2, 0), 32)), "bundle 2x32");
        vm.assertFalse(this.isValidProduct(_p(2, _r(1, 2, 0), 33)), "bundle 2x33");
        vm.assertFalse(this.isValidProduct(_p(2, _r(1, 0, 0), 1)), "bundle of one");
        vm.assertFalse(this.isValidProduct(_p(2, _r(2, 1, 0), 1)), "bundle descending");
        vm.assertFalse(this.isValidProduct(_p(2, _r(1, 1, 0), 1)), "bundle repeat");
        vm.assertFalse(this.isValidProduct(_p(2, _r(1, 2, 3), 0)), "bundle 0 positions");
        vm.assertFalse(this.isValidProduct(_p(3, _r(1, 0, 0), 1)), "kind 3");
        uint64[] memory nine = new uint64[](9);
        for (uint256 i; i < 9; ++i) {
            nine[i] = uint64(i + 1);
        }
        vm.assertFalse(this.isValidProduct(_p(2, nine, 1)), "bundle of nine");
    }

    // ---- each fault proven ----

    function test_OmittedBid_BeyondCount() public {
        _expectSlash(IMarketSlasher.MarketFault.OmittedBid, OMITS, 5);
        vm.prank(challenger);
        uint256 slashed = market.slashOmittedBid(
            _receipt(5), _receiptSig(5), _clearing(OMITS), _clearingSig(OMITS), 0, noSiblings
        );
        _gas("slashOmittedBid_beyond_count");
        _assertSlashed(slashed, 1);
    }

    function test_OmittedBid_OtherLeaf() public {
        (bytes32 leaf, bytes32[] memory siblings) = _swapProof();
        _expectSlash(IMarketSlasher.MarketFault.OmittedBid, SWAPS, 3);
        vm.prank(challenger);
        uint256 slashed = market.slashOmittedBid(
            _receipt(3), _receiptSig(3), _clearing(SWAPS), _clearingSig(SWAPS), leaf, siblings
        );
        _gas("slashOmittedBid_other_leaf_6_bids");
        _assertSlashed(slashed, 1);
    }

    function test_LowerWinner() public {
        uint256 index = vm.parseJsonUint(json, ".unfair.swapsLeaf.lowerAwardIndex");
        _expectSlash(IMarketSlasher.MarketFault.LowerWinner, SWAPS, 3);
        vm.prank(challenger);
        uint256 slashed = market.slashLowerWinner(
            _receipt(3), _receiptSig(3), _clearing(SWAPS), _clearingSig(SWAPS), index
        );
        _gas("slashLowerWinner_2_awards");
        _assertSlashed(slashed, 1);
    }

    function test_IgnoredProduct() public {
        IMarketSlasher.Clearing memory c = _clearing(DROPS);
        IMarketSlasher.Product[] memory ps = _awardProducts(c);
        _expectSlash(IMarketSlasher.MarketFault.IgnoredProduct, DROPS, 3);
        vm.prank(challenger);
        uint256 slashed = market.slashIgnoredProduct(
            _receipt(3), _receiptSig(3), _product(3), c, _clearingSig(DROPS), ps
        );
        _gas("slashIgnoredProduct_1_award");
        _assertSlashed(slashed, 1);
    }

    /// One clearing that is unfair in two ways pays once per fault kind.
    function test_OneClearingTwoFaults() public {
        (bytes32 leaf, bytes32[] memory siblings) = _swapProof();
        IMarketSlasher.Clearing memory c = _clearing(SWAPS);
        bytes memory sig = _clearingSig(SWAPS);
        vm.startPrank(challenger);
        market.slashOmittedBid(_receipt(3), _receiptSig(3), c, sig, leaf, siblings);
        market.slashLowerWinner(_receipt(3), _receiptSig(3), c, sig, 1);
        vm.stopPrank();
        vm.assertEq(_collateral(), COLLATERAL - 2 * SAFETY, "two faults");
        bytes32 d = market.clearingDigestOf(c);
        vm.assertTrue(market.marketSlashed(IMarketSlasher.MarketFault.OmittedBid, d), "a");
        vm.assertTrue(market.marketSlashed(IMarketSlasher.MarketFault.LowerWinner, d), "b");
        vm.assertFalse(market.marketSlashed(IMarketSlasher.MarketFault.IgnoredProduct, d), "a'");
    }

    // ---- the honest clearing is refused on every path ----

    function testRevert_ReceiptIncluded() public {
        IMarketSlasher.Clearing memory c = _clearing(HONEST);
        bytes memory sig = _clearingSig(HONEST);
        for (uint256 i; i < 6; ++i) {
            string memory p = string.concat(".proofs[", vm.toString(i), "]");
            bytes32 leaf = vm.parseJsonBytes32(json, string.concat(p, ".leaf"));
            bytes32[] memory siblings =
                vm.parseJsonBytes32Array(json, string.concat(p, ".siblings"));
            vm.expectRevert(abi.encodeWithSelector(IMarketSlasher.ReceiptIncluded.selector, i));
            market.slashOmittedBid(_receipt(i), _receiptSig(i), c, sig, leaf, siblings);
        }
    }

    function testRevert_AwardNotLower() public {
        IMarketSlasher.Clearing memory c = _clearing(HONEST);
        bytes memory sig = _clearingSig(HONEST);
        // The winner itself, and the tie lost to the earlier seq 3.
        _expectNotLower(c.awards[0]);
        market.slashLowerWinner(_receipt(1), _receiptSig(1), c, sig, 0);
        _expectNotLower(c.awards[1]);
        market.slashLowerWinner(_receipt(3), _receiptSig(3), c, sig, 1);
        _expectNotLower(c.awards[1]);
        market.slashLowerWinner(_receipt(4), _receiptSig(4), c, sig, 1);
    }

    function testRevert_DifferentProduct() public {
        IMarketSlasher.Clearing memory c = _clearing(HONEST);
        bytes memory sig = _clearingSig(HONEST);
        IMarketSlasher.BidReceipt memory r = _receipt(0);
        for (uint256 j; j < 2; ++j) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IMarketSlasher.DifferentProduct.selector, r.product, c.awards[j].product
                )
            );
            market.slashLowerWinner(r, _receiptSig(0), c, sig, j);
        }
    }

    function testRevert_ProductAwarded() public {
        IMarketSlasher.Clearing memory c = _clearing(HONEST);
        IMarketSlasher.Product[] memory ps = _awardProducts(c);
        bytes memory sig = _clearingSig(HONEST);
        vm.expectRevert(abi.encodeWithSelector(IMarketSlasher.ProductAwarded.selector, 0));
        market.slashIgnoredProduct(_receipt(1), _receiptSig(1), _product(1), c, sig, ps);
        for (uint256 i = 3; i < 5; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IMarketSlasher.ProductAwarded.selector, 1));
            market.slashIgnoredProduct(_receipt(i), _receiptSig(i), _product(3), c, sig, ps);
        }
    }

    function testRevert_ConflictingAward() public {
        IMarketSlasher.Clearing memory c = _clearing(HONEST);
        IMarketSlasher.Product[] memory ps = _awardProducts(c);
        bytes memory sig = _clearingSig(HONEST);
        // top(1,2) twice and top(2,1) all lost to the bundle over rollups 1 and 2.
        uint256[3] memory seqs = [uint256(0), 2, 5];
        uint256[3] memory products = [uint256(0), 2, 0];
        for (uint256 i; i < 3; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IMarketSlasher.ConflictingAward.selector, 0));
            market.slashIgnoredProduct(
                _receipt(seqs[i]), _receiptSig(seqs[i]), _product(products[i]), c, sig, ps
            );
        }
    }

    // ---- helpers ----

    function _swapProof() internal view returns (bytes32 leaf, bytes32[] memory siblings) {
        leaf = vm.parseJsonBytes32(json, ".unfair.swapsLeaf.proof.leaf");
        siblings = vm.parseJsonBytes32Array(json, ".unfair.swapsLeaf.proof.siblings");
    }

    function _expectSlash(IMarketSlasher.MarketFault fault, string memory clearing, uint256 seq)
        internal
    {
        vm.expectEmit(true, true, true, true, address(slasher)); // emitted by the Slasher itself
        emit IMarketSlasher.MarketFaultSlashed(
            fault,
            operator,
            _receipt(seq).slot,
            vm.parseJsonBytes32(json, string.concat(clearing, ".digest")),
            vm.parseJsonBytes32(json, string.concat(".receipts[", vm.toString(seq), "].digest")),
            challenger,
            SAFETY
        );
    }

    /// Records the last call's execution gas and asserts the target (issue 4's slashing
    /// paths are at most 100k; these match them).
    function _gas(string memory name) internal {
        vm.assertLe(vm.snapshotGasLastCall("MarketDisputes", name), 100_000, name);
    }

    function _assertSlashed(uint256 slashed, uint256 times) internal view {
        vm.assertEq(slashed, SAFETY, "slashed");
        vm.assertEq(_collateral(), COLLATERAL - times * SAFETY, "collateral");
        vm.assertEq(challenger.balance, 100 ether + times * SAFETY * SHARE_BPS / 10_000, "reward");
    }

    function _expectNotLower(IMarketSlasher.Award memory a) internal {
        vm.expectRevert(
            abi.encodeWithSelector(IMarketSlasher.AwardNotLower.selector, a.amount, a.seq)
        );
    }

    function _p(uint8 kind, uint64[] memory rollups, uint16 positions)
        internal
        pure
        returns (IMarketSlasher.Product memory)
    {
        return IMarketSlasher.Product(kind, rollups, positions);
    }

    /// One to three rollups (zeros after the first are dropped).
    function _r(uint64 a, uint64 b, uint64 c) internal pure returns (uint64[] memory r) {
        uint256 n = c != 0 ? 3 : b != 0 ? 2 : 1;
        r = new uint64[](n);
        r[0] = a;
        if (n > 1) r[1] = b;
        if (n > 2) r[2] = c;
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {MarketVectors} from "./utils/MarketVectors.sol";
import {ISlasher} from "../src/interfaces/ISlasher.sol";
import {IEvidence} from "../src/interfaces/IEvidence.sol";
import {IMarketSlasher} from "../src/interfaces/IMarketSlasher.sol";

/// @notice Every refusal of the marketplace's slashing paths (one `testRevert_<Error>` per
///         error), starting from the unfair clearings of market.json and changing one thing,
///         re-signed with the vectors' committer key where the change needs a signature;
///         plus the worst-case gas of the (a') path (64 awards).
contract MarketRefusalsTest is MarketVectors {
    string internal constant OMITS = ".unfair.omitsLast.clearing";
    string internal constant SWAPS = ".unfair.swapsLeaf.clearing";
    string internal constant DROPS = ".unfair.dropsAward.clearing";

    bytes32[] internal noSiblings;

    // ---- signatures, registration, one auction ----

    function testRevert_SignerMismatch() public {
        IMarketSlasher.BidReceipt memory r = _receipt(5);
        IMarketSlasher.Clearing memory c = _clearing(OMITS);
        address other = vm.addr(OTHER_KEY);
        bytes memory otherReceiptSig = _signReceipt(OTHER_KEY, r);
        bytes memory otherClearingSig = _signClearing(OTHER_KEY, c);
        vm.expectRevert(abi.encodeWithSelector(ISlasher.SignerMismatch.selector, other, committer));
        market.slashOmittedBid(r, otherReceiptSig, c, _clearingSig(OMITS), 0, noSiblings);
        vm.expectRevert(abi.encodeWithSelector(ISlasher.SignerMismatch.selector, other, committer));
        market.slashOmittedBid(r, _receiptSig(5), c, otherClearingSig, 0, noSiblings);
        // Under another chain id the domain differs, so the same bytes recover someone else.
        vm.chainId(1);
        address recovered = _recover(market.receiptDigestOf(r), _receiptSig(5));
        vm.expectRevert(
            abi.encodeWithSelector(ISlasher.SignerMismatch.selector, recovered, committer)
        );
        market.slashOmittedBid(r, _receiptSig(5), c, _clearingSig(OMITS), 0, noSiblings);
    }

    function testRevert_MalformedSignature() public {
        bytes memory sig = _receiptSig(5);
        bytes memory short = new bytes(64);
        for (uint256 i; i < 64; ++i) {
            short[i] = sig[i];
        }
        vm.expectRevert(IEvidence.MalformedSignature.selector);
        market.slashOmittedBid(
            _receipt(5), short, _clearing(OMITS), _clearingSig(OMITS), 0, noSiblings
        );
    }

    function testRevert_UnknownCommitter() public {
        address other = vm.addr(OTHER_KEY);
        IMarketSlasher.BidReceipt memory r = _receipt(5);
        IMarketSlasher.Clearing memory c = _clearing(OMITS);
        r.committer = other;
        c.committer = other;
        bytes memory rs = _signReceipt(OTHER_KEY, r);
        bytes memory cs = _signClearing(OTHER_KEY, c);
        vm.expectRevert(abi.encodeWithSelector(IMarketSlasher.UnknownCommitter.selector, other));
        market.slashOmittedBid(r, rs, c, cs, 0, noSiblings);
    }

    function testRevert_SlotMismatch() public {
        IMarketSlasher.BidReceipt memory r = _receipt(5);
        r.slot += 1;
        bytes memory rs = _signReceipt(committerKey, r);
        vm.expectRevert(
            abi.encodeWithSelector(IMarketSlasher.SlotMismatch.selector, r.slot, r.slot - 1)
        );
        market.slashOmittedBid(r, rs, _clearing(OMITS), _clearingSig(OMITS), 0, noSiblings);
    }

    function testRevert_CommitterMismatch() public {
        address other = vm.addr(OTHER_KEY);
        IMarketSlasher.BidReceipt memory r = _receipt(5);
        r.committer = other;
        bytes memory rs = _signReceipt(OTHER_KEY, r);
        vm.expectRevert(
            abi.encodeWithSelector(IMarketSlasher.CommitterMismatch.selector, other, committer)
        );
        market.slashOmittedBid(r, rs, _clearing(OMITS), _clearingSig(OMITS), 0, noSiblings);
    }

    // ---- the clearing's shape (checked before its signature, as in Rust) ----

    function testRevert_TooManyBids() public {
        IMarketSlasher.Clearing memory c = _clearing(OMITS);
        c.bidCount = 4097;
        _expectShape(abi.encodeWithSelector(IMarketSlasher.TooManyBids.selector, 4097), c);
    }

    function testRevert_TooManyAwards() public {
        IMarketSlasher.Clearing memory c = _clearing(OMITS);
        c.awards = new IMarketSlasher.Award[](65);
        _expectShape(abi.encodeWithSelector(IMarketSlasher.TooManyAwards.selector, 65), c);
    }

    function testRevert_NonEmptyWithoutBids() public {
        IMarketSlasher.Clearing memory c = _clearing(OMITS);
        c.bidCount = 0;
        _expectShape(abi.encodeWithSelector(IMarketSlasher.NonEmptyWithoutBids.selector), c);
        c.bidsRoot = bytes32(0);
        _expectShape(abi.encodeWithSelector(IMarketSlasher.NonEmptyWithoutBids.selector), c);
    }

    function testRevert_AwardSeqOutOfRange() public {
        IMarketSlasher.Clearing memory c = _clearing(OMITS);
        c.awards[1].seq = 5;
        _expectShape(abi.encodeWithSelector(IMarketSlasher.AwardSeqOutOfRange.selector, 1, 5, 5), c);
    }

    function testRevert_ZeroAward() public {
        IMarketSlasher.Clearing memory c = _clearing(OMITS);
        c.awards[1].amount = 0;
        _expectShape(abi.encodeWithSelector(IMarketSlasher.ZeroAward.selector, 1), c);
    }

    function testRevert_DuplicateAward() public {
        IMarketSlasher.Clearing memory c = _clearing(OMITS);
        c.awards[1].product = c.awards[0].product;
        _expectShape(
            abi.encodeWithSelector(IMarketSlasher.DuplicateAward.selector, 1, c.awards[0].product),
            c
        );
    }

    // ---- per-path evidence ----

    function testRevert_InvalidPositionProof() public {
        bytes32 leaf = vm.parseJsonBytes32(json, ".unfair.swapsLeaf.proof.leaf");
        bytes32[] memory siblings =
            vm.parseJsonBytes32Array(json, ".unfair.swapsLeaf.proof.siblings");
        IMarketSlasher.Clearing memory c = _clearing(SWAPS);
        bytes memory sig = _clearingSig(SWAPS);
        // A made-up leaf, a damaged sibling, a short path: none verifies.
        vm.expectRevert(ISlasher.InvalidPositionProof.selector);
        market.slashOmittedBid(_receipt(3), _receiptSig(3), c, sig, keccak256("x"), siblings);
        siblings[1] ^= bytes32(uint256(1));
        vm.expectRevert(ISlasher.InvalidPositionProof.selector);
        market.slashOmittedBid(_receipt(3), _receiptSig(3), c, sig, leaf, siblings);
        vm.expectRevert(ISlasher.InvalidPositionProof.selector);
        market.slashOmittedBid(_receipt(3), _receiptSig(3), c, sig, leaf, noSiblings);
    }

    function testRevert_AwardOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(IMarketSlasher.AwardOutOfRange.selector, 2, 2));
        market.slashLowerWinner(
            _receipt(3), _receiptSig(3), _clearing(SWAPS), _clearingSig(SWAPS), 2
        );
    }

    function testRevert_PreimageMismatch() public {
        IMarketSlasher.Clearing memory c = _clearing(DROPS);
        IMarketSlasher.Product[] memory ps = _awardProducts(c);
        bytes memory sig = _clearingSig(DROPS);
        vm.expectRevert(abi.encodeWithSelector(IMarketSlasher.PreimageMismatch.selector, 0));
        market.slashIgnoredProduct(_receipt(3), _receiptSig(3), _product(0), c, sig, ps);
        ps[0] = _product(2);
        vm.expectRevert(abi.encodeWithSelector(IMarketSlasher.PreimageMismatch.selector, 1));
        market.slashIgnoredProduct(_receipt(3), _receiptSig(3), _product(3), c, sig, ps);
    }

    function testRevert_InvalidProduct() public {
        // A receipt for top(9, 0 positions): no honest committer receipts it.
        IMarketSlasher.Product memory bad = IMarketSlasher.Product(0, _one(9), 0);
        IMarketSlasher.BidReceipt memory r = _receipt(3);
        r.product = market.productIdOf(bad);
        IMarketSlasher.Clearing memory c = _clearing(DROPS);
        IMarketSlasher.Product[] memory ps = _awardProducts(c);
        bytes memory rs = _signReceipt(committerKey, r);
        vm.expectRevert(abi.encodeWithSelector(IMarketSlasher.InvalidProduct.selector, 0));
        market.slashIgnoredProduct(r, rs, bad, c, _clearingSig(DROPS), ps);
        // An award whose preimage names nine rollups (beyond any product's).
        uint64[] memory nine = new uint64[](9);
        for (uint256 i; i < 9; ++i) {
            nine[i] = uint64(10 + i);
        }
        ps[0] = IMarketSlasher.Product(2, nine, 1);
        c.awards[0].product = market.productIdOf(ps[0]);
        bytes memory cs = _signClearing(committerKey, c);
        vm.expectRevert(abi.encodeWithSelector(IMarketSlasher.InvalidProduct.selector, 1));
        market.slashIgnoredProduct(_receipt(3), _receiptSig(3), _product(3), c, cs, ps);
    }

    function testRevert_AwardProductCount() public {
        IMarketSlasher.Product[] memory none = new IMarketSlasher.Product[](0);
        vm.expectRevert(abi.encodeWithSelector(IMarketSlasher.AwardProductCount.selector, 0, 1));
        market.slashIgnoredProduct(
            _receipt(3), _receiptSig(3), _product(3), _clearing(DROPS), _clearingSig(DROPS), none
        );
    }

    // ---- replay ----

    /// The same evidence twice, and another wronged receipt of the same clearing and fault:
    /// the key is (fault, clearing digest).
    function testRevert_AlreadySlashed() public {
        IMarketSlasher.Clearing memory c = _clearing(DROPS);
        IMarketSlasher.Product[] memory ps = _awardProducts(c);
        bytes memory sig = _clearingSig(DROPS);
        vm.prank(challenger);
        market.slashIgnoredProduct(_receipt(3), _receiptSig(3), _product(3), c, sig, ps);
        bytes32 key = keccak256(
            abi.encode(
                IMarketSlasher.MarketFault.IgnoredProduct,
                vm.parseJsonBytes32(json, string.concat(DROPS, ".digest"))
            )
        );
        for (uint256 i = 3; i < 5; ++i) {
            vm.expectRevert(abi.encodeWithSelector(ISlasher.AlreadySlashed.selector, key));
            market.slashIgnoredProduct(_receipt(i), _receiptSig(i), _product(3), c, sig, ps);
        }
        vm.assertEq(_collateral(), COLLATERAL - SAFETY, "slashed once");
    }

    // ---- the DELEGATECALL module ----

    /// The module's code called at its own address refuses (its domain and storage would be
    /// the wrong ones).
    function testRevert_NotDelegated() public {
        IMarketSlasher code = IMarketSlasher(slasher.marketDisputes());
        IMarketSlasher.BidReceipt memory r = _receipt(5);
        IMarketSlasher.Clearing memory c = _clearing(OMITS);
        bytes memory rs = _receiptSig(5);
        bytes memory cs = _clearingSig(OMITS);
        vm.expectRevert(IMarketSlasher.NotDelegated.selector);
        code.slashOmittedBid(r, rs, c, cs, 0, noSiblings);
        vm.expectRevert(IMarketSlasher.NotDelegated.selector);
        code.receiptDigestOf(r);
    }

    /// The replay set sits in the Slasher's storage at the ERC-7201 slot of
    /// "baton.storage.MarketDisputes", and nothing else answers through the fallback.
    function test_ReplaySetInSlasherStorage() public {
        IMarketSlasher.Clearing memory c = _clearing(OMITS);
        vm.prank(challenger);
        market.slashOmittedBid(_receipt(5), _receiptSig(5), c, _clearingSig(OMITS), 0, noSiblings);
        bytes32 digest = market.clearingDigestOf(c);
        bytes32 key = keccak256(abi.encode(IMarketSlasher.MarketFault.OmittedBid, digest));
        bytes32 base = keccak256(abi.encode(uint256(keccak256("baton.storage.MarketDisputes")) - 1))
            & ~bytes32(uint256(0xff));
        bytes32 stored = vm.load(address(slasher), keccak256(abi.encode(key, base)));
        vm.assertEq(stored, bytes32(uint256(1)), "replay flag at the namespaced slot");
        vm.assertTrue(market.marketSlashed(IMarketSlasher.MarketFault.OmittedBid, digest), "view");
        (bool ok,) = address(slasher).call(abi.encodeWithSignature("nothingHere()"));
        vm.assertFalse(ok, "unknown selector");
        (ok,) = address(slasher).call{value: 1}("");
        vm.assertFalse(ok, "plain ETH");
    }

    /// Anvil and mainnet enforce EIP-170; forge tests do not, so check it here.
    function test_SlasherFitsEip170() public view {
        vm.assertLe(address(slasher).code.length, 24_576, "Slasher runtime code");
        vm.assertLe(slasher.marketDisputes().code.length, 24_576, "MarketDisputes code");
    }

    // ---- worst case gas ----

    /// (a') against a full clearing: 64 awards (top-of-batch on rollups 100..163), the
    /// receipt's product an 8-rollup bundle none of them touches.
    function test_Gas_IgnoredProduct_64Awards() public {
        IMarketSlasher.Clearing memory c = _clearing(DROPS);
        c.bidCount = 4096;
        c.awards = new IMarketSlasher.Award[](64);
        IMarketSlasher.Product[] memory ps = new IMarketSlasher.Product[](64);
        for (uint256 i; i < 64; ++i) {
            ps[i] = IMarketSlasher.Product(0, _one(uint64(100 + i)), 1);
            c.awards[i] = IMarketSlasher.Award(
                market.productIdOf(ps[i]), keccak256(abi.encode(i)), 1 gwei, uint32(i)
            );
        }
        uint64[] memory eight = new uint64[](8);
        for (uint256 i; i < 8; ++i) {
            eight[i] = uint64(1 + i);
        }
        IMarketSlasher.Product memory bundle = IMarketSlasher.Product(2, eight, 8);
        IMarketSlasher.BidReceipt memory r = _receipt(3);
        r.product = market.productIdOf(bundle);
        r.seq = 4095;
        bytes memory rs = _signReceipt(committerKey, r);
        bytes memory cs = _signClearing(committerKey, c);
        vm.prank(challenger);
        market.slashIgnoredProduct(r, rs, bundle, c, cs, ps);
        uint256 g = vm.snapshotGasLastCall("MarketDisputes", "slashIgnoredProduct_64_awards");
        vm.assertEq(_collateral(), COLLATERAL - SAFETY, "slashed");
        vm.assertLe(g, 400_000, "bounded");
    }

    // ---- helpers ----

    /// Expects `err` from every path for clearing `c` (its shape is checked before its signature).
    function _expectShape(bytes memory err, IMarketSlasher.Clearing memory c) internal {
        IMarketSlasher.Product[] memory none = new IMarketSlasher.Product[](0);
        bytes memory sig = _clearingSig(OMITS);
        vm.expectRevert(err);
        market.slashOmittedBid(_receipt(5), _receiptSig(5), c, sig, 0, noSiblings);
        vm.expectRevert(err);
        market.slashLowerWinner(_receipt(5), _receiptSig(5), c, sig, 0);
        vm.expectRevert(err);
        market.slashIgnoredProduct(_receipt(5), _receiptSig(5), _product(0), c, sig, none);
    }

    function _one(uint64 rollup) internal pure returns (uint64[] memory r) {
        r = new uint64[](1);
        r[0] = rollup;
    }
}

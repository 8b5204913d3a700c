// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {SlasherFixture} from "./utils/SlasherFixture.sol";
import {ISlasher} from "../src/interfaces/ISlasher.sol";

/// @notice Path 4: the slot was missed (two consecutive canonical headers straddle it).
contract LivenessTest is SlasherFixture {
    uint64 internal slot;
    uint256 internal number = 4_000_000;
    bytes internal before;
    bytes internal after_;

    function setUp() public override {
        super.setUp();
        slot = _futureSlot(1);
        uint256 ts = inbox.slotTimestamp(slot);
        before = _header(keccak256("gp"), bytes32(0), bytes32(0), number - 1, ts - 12);
        after_ = _header(keccak256(before), bytes32(0), bytes32(0), number, ts + 12);
        vm.warp(ts + 60);
        _canonical(after_, number);
    }

    function test_MissedSlotSmallerPenaltyOncePerSlot() public {
        ISlasher.Commitment memory c = _sequencing(slot, _one(rollupA, 0, keccak256("x")));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.prank(challenger);
        uint256 slashed = slasher.slashLiveness(c, sig, before, after_);
        vm.assertEq(slashed, LIVENESS, "liveness penalty");
        // A second commitment for the same missed slot: settled, no second penalty.
        ISlasher.Commitment memory c2 = _sequencing(slot, _one(rollupA, 1, keccak256("y")));
        bytes memory sig2 = _sign(COMMITTER_KEY, c2);
        vm.prank(challenger);
        vm.assertEq(slasher.slashLiveness(c2, sig2, before, after_), 0, "once per slot");
        vm.assertEq(_collateral(), COLLATERAL - LIVENESS, "collateral");
    }

    /// A missed slot settles an open inclusion dispute: the bond goes back to its
    /// challenger, the operator pays the liveness penalty only, never the safety one.
    function test_SettlesOpenDisputeNeverBoth() public {
        bytes32[] memory hashes = new bytes32[](1);
        hashes[0] = keccak256("raw tx");
        ISlasher.Commitment memory c = _inclusion(slot, hashes);
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.prank(challenger);
        bytes32 digest = slasher.openDispute{value: BOND}(c, sig);
        uint256 balance = challenger.balance;
        vm.prank(operator);
        slasher.slashLiveness(c, sig, before, after_);
        vm.assertEq(challenger.balance - balance, BOND, "bond returned");
        vm.assertEq(
            uint256(slasher.dispute(digest).state), uint256(ISlasher.DisputeState.Missed), "state"
        );
        vm.assertEq(registry.operatorOf(operator).openDisputes, 0, "unlocked");
        vm.warp(block.timestamp + DEFEND_WINDOW + 1);
        vm.expectRevert(abi.encodeWithSelector(ISlasher.NoOpenDispute.selector, digest));
        slasher.resolveDispute(digest);
        vm.assertEq(_collateral(), COLLATERAL - LIVENESS, "liveness only");
    }

    function testRevert_AlreadySlashed() public {
        ISlasher.Commitment memory c = _sequencing(slot, _one(rollupA, 0, keccak256("x")));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.prank(challenger);
        slasher.slashLiveness(c, sig, before, after_);
        vm.expectRevert(
            abi.encodeWithSelector(ISlasher.AlreadySlashed.selector, slasher.digestOf(c))
        );
        slasher.slashLiveness(c, sig, before, after_);
    }

    function testRevert_NotStraddling() public {
        ISlasher.Commitment memory c = _sequencing(slot + 1, _one(rollupA, 0, keccak256("x")));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.expectRevert(ISlasher.NotStraddling.selector);
        slasher.slashLiveness(c, sig, before, after_);
    }

    function testRevert_ParentHashMismatch() public {
        ISlasher.Commitment memory c = _sequencing(slot, _one(rollupA, 0, keccak256("x")));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        bytes memory other = _header(keccak256("gp2"), bytes32(0), bytes32(0), number - 1, 1);
        vm.expectRevert(ISlasher.ParentHashMismatch.selector);
        slasher.slashLiveness(c, sig, other, after_);
    }
}

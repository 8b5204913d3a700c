// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {SlasherFixture} from "./utils/SlasherFixture.sol";
import {ISlasher} from "../src/interfaces/ISlasher.sol";
import {IEvidence} from "../src/interfaces/IEvidence.sol";

/// @notice Path 1: two signed commitments, one position, two transactions.
contract EquivocationTest is SlasherFixture {
    ISlasher.Commitment internal a;
    ISlasher.Commitment internal b;
    bytes internal sigA;
    bytes internal sigB;
    uint64 internal slot;

    function setUp() public override {
        super.setUp();
        slot = _futureSlot(2);
        _set(a, _sequencing(slot, _one(rollupA, 3, keccak256("tx one"))));
        _set(b, _sequencing(slot, _one(rollupA, 3, keccak256("tx two"))));
        sigA = _sign(COMMITTER_KEY, a);
        sigB = _sign(COMMITTER_KEY, b);
    }

    function _set(ISlasher.Commitment storage dst, ISlasher.Commitment memory src) internal {
        dst.kind = src.kind;
        dst.slot = src.slot;
        dst.validatorPubkey = src.validatorPubkey;
        dst.committer = src.committer;
        dst.requestId = src.requestId;
        dst.fee = src.fee;
        delete dst.placements;
        for (uint256 i; i < src.placements.length; ++i) {
            dst.placements.push(src.placements[i]);
        }
        delete dst.txHashes;
        for (uint256 i; i < src.txHashes.length; ++i) {
            dst.txHashes.push(src.txHashes[i]);
        }
    }

    function test_SlashesAtOnce() public {
        uint256 before = challenger.balance;
        vm.prank(challenger);
        uint256 slashed = slasher.slashEquivocation(a, sigA, 0, b, sigB, 0);
        vm.assertEq(slashed, SAFETY, "slashed");
        vm.assertEq(_collateral(), COLLATERAL - SAFETY, "collateral");
        vm.assertEq(challenger.balance - before, SAFETY * SHARE_BPS / 10_000, "reward");
        vm.assertEq(registry.burned(), SAFETY - SAFETY * SHARE_BPS / 10_000, "burned");
    }

    /// A leg deep inside a cross-rollup bundle conflicts with a single placement.
    function test_SlashesBundleLeg() public {
        ISlasher.Placement[] memory legs = new ISlasher.Placement[](3);
        legs[0] = ISlasher.Placement(rollupB, 0, keccak256("b0"));
        legs[1] = ISlasher.Placement(rollupB, 1, keccak256("b1"));
        legs[2] = ISlasher.Placement(rollupA, 3, keccak256("tx three"));
        _set(b, _sequencing(slot, legs));
        sigB = _sign(COMMITTER_KEY, b);
        vm.prank(challenger);
        slasher.slashEquivocation(a, sigA, 0, b, sigB, 2);
        vm.assertEq(_collateral(), COLLATERAL - SAFETY, "collateral");
    }

    function testRevert_AlreadySlashed() public {
        vm.prank(challenger);
        slasher.slashEquivocation(a, sigA, 0, b, sigB, 0);
        bytes32 key = keccak256(abi.encode(committer, slot, rollupA, uint64(3)));
        vm.expectRevert(abi.encodeWithSelector(ISlasher.AlreadySlashed.selector, key));
        slasher.slashEquivocation(b, sigB, 0, a, sigA, 0);
    }

    function testRevert_NotEquivocation() public {
        vm.expectRevert(ISlasher.NotEquivocation.selector);
        slasher.slashEquivocation(a, sigA, 0, a, sigA, 0);
        b.placements[0].position = 4;
        sigB = _sign(COMMITTER_KEY, b);
        vm.expectRevert(ISlasher.NotEquivocation.selector);
        slasher.slashEquivocation(a, sigA, 0, b, sigB, 0);
    }

    function testRevert_WrongKind() public {
        b.kind = 0;
        vm.expectRevert(abi.encodeWithSelector(ISlasher.WrongKind.selector, uint8(0)));
        slasher.slashEquivocation(a, sigA, 0, b, sigB, 0);
    }

    function testRevert_LegOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(ISlasher.LegOutOfRange.selector, uint256(1)));
        slasher.slashEquivocation(a, sigA, 0, b, sigB, 1);
    }

    function testRevert_SignerMismatch() public {
        sigB = _sign(OTHER_KEY, b);
        vm.expectRevert(
            abi.encodeWithSelector(ISlasher.SignerMismatch.selector, vm.addr(OTHER_KEY), committer)
        );
        slasher.slashEquivocation(a, sigA, 0, b, sigB, 0);
    }

    function testRevert_NotRegisteredCommitter() public {
        // Both signed by a key that is not registered for the validator.
        a.committer = vm.addr(OTHER_KEY);
        b.committer = vm.addr(OTHER_KEY);
        sigA = _sign(OTHER_KEY, a);
        sigB = _sign(OTHER_KEY, b);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISlasher.NotRegisteredCommitter.selector, pubkeyHash, vm.addr(OTHER_KEY)
            )
        );
        slasher.slashEquivocation(a, sigA, 0, b, sigB, 0);
    }

    function testRevert_MalformedSignature() public {
        // High s: s' = n - s, v flipped, recovers the same key but is rejected (EIP-2).
        bytes32 r = bytes32(_slice(sigB, 0));
        uint256 s = uint256(bytes32(_slice(sigB, 32)));
        uint8 v = uint8(sigB[64]);
        uint256 n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;
        bytes memory high = abi.encodePacked(r, bytes32(n - s), v == 27 ? uint8(28) : uint8(27));
        vm.expectRevert(IEvidence.MalformedSignature.selector);
        slasher.slashEquivocation(a, sigA, 0, b, high, 0);
        vm.expectRevert(IEvidence.MalformedSignature.selector);
        slasher.slashEquivocation(a, sigA, 0, b, abi.encodePacked(r, bytes32(s), uint8(1)), 0);
        vm.expectRevert(IEvidence.MalformedSignature.selector);
        slasher.slashEquivocation(a, sigA, 0, b, abi.encodePacked(r, bytes32(s)), 0);
    }

    function _slice(bytes memory data, uint256 off) internal pure returns (bytes32 w) {
        assembly {
            w := mload(add(add(data, 32), off))
        }
    }
}

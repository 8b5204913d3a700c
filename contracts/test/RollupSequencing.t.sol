// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {SlasherFixture} from "./utils/SlasherFixture.sol";
import {BatchProofs, HistoryMock} from "./utils/BatchProofs.sol";
import {ISlasher} from "../src/interfaces/ISlasher.sol";
import {IEvidence} from "../src/interfaces/IEvidence.sol";
import {BlockHeader} from "../src/lib/BlockHeader.sol";

/// @notice Shared: post the committer's batch for a slot.
abstract contract SequencingFixture is SlasherFixture {
    function _txs(uint256 n, uint256 salt) internal pure returns (bytes[] memory txs) {
        txs = new bytes[](n);
        for (uint256 i; i < n; ++i) {
            txs[i] = abi.encodePacked(bytes2(0x02f8), salt, i, "rollup tx");
        }
    }

    function _hashes(bytes[] memory txs) internal pure returns (bytes32[] memory h) {
        h = new bytes32[](txs.length);
        for (uint256 i; i < txs.length; ++i) {
            h[i] = keccak256(txs[i]);
        }
    }

    /// Posts `txs` as the committer's batch of `rollupId` in `slot`, then leaves the slot.
    function _post(uint64 rollupId, uint64 slot, bytes[] memory txs) internal {
        uint256 now_ = block.timestamp;
        vm.warp(inbox.slotTimestamp(slot));
        vm.prank(committer);
        inbox.submitBatch(rollupId, slot, txs);
        vm.warp(now_ > block.timestamp ? now_ : block.timestamp + 1);
    }
}

/// @notice Path 2: a position holds another transaction, or lies beyond the batch.
contract RollupSequencingTest is SequencingFixture {
    uint64 internal slot;
    bytes32[] internal hashes;

    function setUp() public override {
        super.setUp();
        slot = _futureSlot(1);
        bytes[] memory txs = _txs(5, 0);
        hashes = _hashes(txs);
        _post(rollupA, slot, txs);
        vm.warp(inbox.slotTimestamp(slot) + 12);
    }

    function test_SlashesWrongLeaf() public {
        ISlasher.Commitment memory c = _sequencing(slot, _one(rollupA, 2, keccak256("promised")));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.prank(challenger);
        uint256 slashed =
            slasher.slashSequencing(c, sig, 0, hashes[2], BatchProofs.siblings(hashes, 2));
        vm.assertEq(slashed, SAFETY, "slashed");
        vm.assertEq(_collateral(), COLLATERAL - SAFETY, "collateral");
    }

    function test_SlashesPositionBeyondBatch() public {
        ISlasher.Commitment memory c = _sequencing(slot, _one(rollupA, 5, keccak256("promised")));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.prank(challenger);
        slasher.slashSequencing(c, sig, 0, bytes32(0), new bytes32[](0));
        vm.assertEq(_collateral(), COLLATERAL - SAFETY, "collateral");
    }

    /// A kept leg cannot be slashed; the broken leg of the same bundle can.
    function test_CrossRollupBundle() public {
        ISlasher.Placement[] memory legs = new ISlasher.Placement[](2);
        legs[0] = ISlasher.Placement(rollupA, 1, hashes[1]);
        legs[1] = ISlasher.Placement(rollupB, 0, keccak256("never posted"));
        ISlasher.Commitment memory c = _sequencing(slot, legs);
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.expectRevert(ISlasher.PromiseKept.selector);
        slasher.slashSequencing(c, sig, 0, hashes[1], BatchProofs.siblings(hashes, 1));
        vm.expectRevert(ISlasher.BatchMissing.selector);
        slasher.slashSequencing(c, sig, 1, bytes32(0), new bytes32[](0));
    }

    /// Any batch size, any position, any bundle size: a broken leg is slashable with its
    /// position proof, a kept leg never is, and a forged proof never verifies.
    function testFuzz_PositionProofsAndBundles(
        uint8 rawCount,
        uint8 rawPos,
        uint8 rawLegs,
        uint8 rawBroken
    ) public {
        uint256 count = 1 + uint256(rawCount) % 40;
        uint256 legsN = 1 + uint256(rawLegs) % 8;
        uint256 broken = uint256(rawBroken) % legsN;
        uint64 s = _futureSlot(3);
        bytes[] memory txs = _txs(count, 7);
        bytes32[] memory h = _hashes(txs);
        _post(rollupB, s, txs);
        vm.warp(inbox.slotTimestamp(s) + 1);

        ISlasher.Placement[] memory legs = new ISlasher.Placement[](legsN);
        for (uint256 i; i < legsN; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast)
            uint64 pos = uint64((uint256(rawPos) + i) % count);
            legs[i] = ISlasher.Placement(rollupB, pos, h[pos]);
        }
        uint256 brokenPos = uint256(rawPos) % (count + 3); // may lie beyond the batch
        // forge-lint: disable-next-line(unsafe-typecast)
        legs[broken] = ISlasher.Placement(rollupB, uint64(brokenPos), keccak256("other"));
        ISlasher.Commitment memory c = _sequencing(s, legs);
        bytes memory sig = _sign(COMMITTER_KEY, c);

        for (uint256 i; i < legsN; ++i) {
            if (i == broken) continue;
            uint256 p = legs[i].position;
            vm.expectRevert(ISlasher.PromiseKept.selector);
            slasher.slashSequencing(c, sig, i, h[p], BatchProofs.siblings(h, p));
        }
        bytes32 actual = brokenPos < count ? h[brokenPos] : bytes32(0);
        bytes32[] memory proof =
            brokenPos < count ? BatchProofs.siblings(h, brokenPos) : new bytes32[](0);
        if (brokenPos < count) {
            // A forged leaf does not verify.
            vm.expectRevert(ISlasher.InvalidPositionProof.selector);
            slasher.slashSequencing(c, sig, broken, keccak256("forged"), proof);
        }
        vm.prank(challenger);
        slasher.slashSequencing(c, sig, broken, actual, proof);
        vm.assertEq(_collateral(), COLLATERAL - SAFETY, "collateral");
    }

    function testRevert_PromiseKept() public {
        ISlasher.Commitment memory c = _sequencing(slot, _one(rollupA, 4, hashes[4]));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.expectRevert(ISlasher.PromiseKept.selector);
        slasher.slashSequencing(c, sig, 0, hashes[4], BatchProofs.siblings(hashes, 4));
    }

    function testRevert_InvalidPositionProof() public {
        ISlasher.Commitment memory c = _sequencing(slot, _one(rollupA, 2, keccak256("promised")));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        bytes32[] memory proof = BatchProofs.siblings(hashes, 2);
        vm.expectRevert(ISlasher.InvalidPositionProof.selector);
        slasher.slashSequencing(c, sig, 0, hashes[3], proof);
        // Wrong sibling count: malformed, never "not included".
        vm.expectRevert(ISlasher.InvalidPositionProof.selector);
        slasher.slashSequencing(c, sig, 0, hashes[2], new bytes32[](1));
    }

    function testRevert_BatchMissing() public {
        ISlasher.Commitment memory c = _sequencing(slot, _one(rollupB, 0, keccak256("x")));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.expectRevert(ISlasher.BatchMissing.selector);
        slasher.slashSequencing(c, sig, 0, bytes32(0), new bytes32[](0));
    }

    function testRevert_SlotNotOver() public {
        uint64 later = _futureSlot(5);
        ISlasher.Commitment memory c = _sequencing(later, _one(rollupA, 0, keccak256("x")));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.expectRevert(abi.encodeWithSelector(ISlasher.SlotNotOver.selector, later));
        slasher.slashSequencing(c, sig, 0, bytes32(0), new bytes32[](0));
    }

    function testRevert_AlreadySlashed() public {
        ISlasher.Commitment memory c = _sequencing(slot, _one(rollupA, 9, keccak256("x")));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.prank(challenger);
        slasher.slashSequencing(c, sig, 0, bytes32(0), new bytes32[](0));
        vm.expectRevert(
            abi.encodeWithSelector(ISlasher.AlreadySlashed.selector, slasher.digestOf(c))
        );
        slasher.slashSequencing(c, sig, 0, bytes32(0), new bytes32[](0));
    }

    /// The Slasher's own chain-id / address check: a signature under another domain fails.
    function test_OtherDomainDoesNotVerify() public {
        ISlasher.Commitment memory c = _sequencing(slot, _one(rollupA, 9, keccak256("x")));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.chainId(1);
        vm.expectRevert();
        slasher.slashSequencing(c, sig, 0, bytes32(0), new bytes32[](0));
    }
}

/// @notice Path 2, missing batch: the slot's block exists but the committer posted nothing.
contract MissingBatchTest is SequencingFixture {
    uint64 internal slot;
    bytes internal header;
    uint256 internal number = 2_000_000;

    function setUp() public override {
        super.setUp();
        slot = _futureSlot(1);
        vm.warp(inbox.slotTimestamp(slot) + 24);
        header =
            _header(keccak256("parent"), bytes32(0), bytes32(0), number, inbox.slotTimestamp(slot));
        _canonical(header, number);
    }

    function test_SlashesMissingBatch() public {
        ISlasher.Commitment memory c = _sequencing(slot, _one(rollupA, 0, keccak256("x")));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.prank(challenger);
        uint256 slashed = slasher.slashMissingBatch(c, sig, 0, header);
        vm.assertEq(slashed, SAFETY, "slashed");
    }

    /// Beyond BLOCKHASH's 256 blocks the header is checked through EIP-2935.
    function test_SlashesThroughHistoryContract() public {
        HistoryMock mock = new HistoryMock();
        vm.etch(BlockHeader.HISTORY, address(mock).code);
        HistoryMock(BlockHeader.HISTORY).set(number, keccak256(header));
        vm.roll(number + 5000);
        ISlasher.Commitment memory c = _sequencing(slot, _one(rollupA, 0, keccak256("x")));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.prank(challenger);
        slasher.slashMissingBatch(c, sig, 0, header);
        vm.assertEq(_collateral(), COLLATERAL - SAFETY, "collateral");
    }

    function testRevert_BatchExists() public {
        uint64 s = _futureSlot(2);
        _post(rollupA, s, _txs(1, 0));
        bytes memory h =
            _header(keccak256("p"), bytes32(0), bytes32(0), number + 1, inbox.slotTimestamp(s));
        _canonical(h, number + 1);
        ISlasher.Commitment memory c = _sequencing(s, _one(rollupA, 0, keccak256("x")));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.expectRevert(ISlasher.BatchExists.selector);
        slasher.slashMissingBatch(c, sig, 0, h);
    }

    function testRevert_HeaderNotAtSlot() public {
        ISlasher.Commitment memory c = _sequencing(slot - 1, _one(rollupA, 0, keccak256("x")));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISlasher.HeaderNotAtSlot.selector,
                inbox.slotTimestamp(slot),
                inbox.slotTimestamp(slot - 1)
            )
        );
        slasher.slashMissingBatch(c, sig, 0, header);
    }

    function testRevert_UnknownBlockHash() public {
        ISlasher.Commitment memory c = _sequencing(slot, _one(rollupA, 0, keccak256("x")));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        bytes memory forged =
            _header(keccak256("forged"), bytes32(0), bytes32(0), number, inbox.slotTimestamp(slot));
        vm.expectRevert(abi.encodeWithSelector(IEvidence.UnknownBlockHash.selector, number));
        slasher.slashMissingBatch(c, sig, 0, forged);
        // Too old for EIP-2935 (and no history contract in this test).
        vm.roll(number + 9000);
        vm.expectRevert(abi.encodeWithSelector(IEvidence.UnknownBlockHash.selector, number));
        slasher.slashMissingBatch(c, sig, 0, header);
    }

    function testRevert_RlpMalformed() public {
        ISlasher.Commitment memory c = _sequencing(slot, _one(rollupA, 0, keccak256("x")));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.expectRevert(IEvidence.RlpMalformed.selector);
        slasher.slashMissingBatch(c, sig, 0, hex"f90200");
    }
}

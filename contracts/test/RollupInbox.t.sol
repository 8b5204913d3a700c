// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {BaseTest} from "./utils/Vm.sol";
import {RollupInbox} from "../src/RollupInbox.sol";
import {IRollupInbox} from "../src/interfaces/IRollupInbox.sol";
import {BatchRoot} from "../src/lib/BatchRoot.sol";
import {BatchProofs} from "./utils/BatchProofs.sol";

/// @notice Registering rollups and posting batches inside (and outside) their slot.
contract RollupInboxTest is BaseTest {
    uint256 internal constant GENESIS = 1_700_000_000;
    uint256 internal constant SECONDS_PER_SLOT = 12;

    RollupInbox internal inbox;
    uint64 internal rollupId;
    address internal sequencer = address(0xB0B);

    function setUp() public {
        inbox = new RollupInbox(GENESIS, SECONDS_PER_SLOT);
        rollupId = inbox.registerRollup(167_001, "alpha");
    }

    function _txs(uint256 n) internal pure returns (bytes[] memory txs) {
        txs = new bytes[](n);
        for (uint256 i; i < n; ++i) {
            txs[i] = abi.encodePacked(bytes2(0x02f8), i, "rollup tx");
        }
    }

    function test_SubmitBatchInsideSlotStoresRoot() public {
        bytes[] memory txs = _txs(3);
        vm.warp(inbox.slotTimestamp(42));
        vm.prank(sequencer);
        bytes32 root = inbox.submitBatch(rollupId, 42, txs);

        bytes32[] memory hashes = new bytes32[](3);
        for (uint256 i; i < 3; ++i) {
            hashes[i] = keccak256(txs[i]);
        }
        vm.assertEq(root, BatchRoot.rootOfHashes(hashes), "root");
        IRollupInbox.Batch memory stored = inbox.batchOf(rollupId, 42, sequencer);
        vm.assertEq(stored.root, root, "stored root");
        vm.assertEq(stored.count, 3, "stored count");
        vm.assertEq(inbox.batchOf(rollupId, 42, address(this)).root, bytes32(0), "other submitter");
    }

    function test_ThirdPartyCannotOverwrite() public {
        vm.warp(inbox.slotTimestamp(7));
        vm.prank(sequencer);
        bytes32 root = inbox.submitBatch(rollupId, 7, _txs(2));
        // Someone else posts a different batch for the same slot: stored apart.
        inbox.submitBatch(rollupId, 7, _txs(5));
        vm.assertEq(inbox.batchOf(rollupId, 7, sequencer).root, root, "sequencer's root kept");
    }

    function testRevert_WrongSlotTime() public {
        uint256 ts = inbox.slotTimestamp(10);
        vm.warp(ts + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IRollupInbox.WrongSlotTime.selector, uint64(10), ts, ts + 1)
        );
        inbox.submitBatch(rollupId, 10, _txs(1));
    }

    function testRevert_BatchAlreadySubmitted() public {
        vm.warp(inbox.slotTimestamp(3));
        inbox.submitBatch(rollupId, 3, _txs(1));
        vm.expectRevert(
            abi.encodeWithSelector(
                IRollupInbox.BatchAlreadySubmitted.selector, rollupId, uint64(3), address(this)
            )
        );
        inbox.submitBatch(rollupId, 3, _txs(2));
    }

    function testRevert_UnknownRollup() public {
        vm.warp(inbox.slotTimestamp(1));
        vm.expectRevert(abi.encodeWithSelector(IRollupInbox.UnknownRollup.selector, uint64(9)));
        inbox.submitBatch(9, 1, _txs(1));
    }

    function testRevert_BadBatchSize() public {
        vm.warp(inbox.slotTimestamp(1));
        vm.expectRevert(abi.encodeWithSelector(IRollupInbox.BadBatchSize.selector, uint256(0)));
        inbox.submitBatch(rollupId, 1, new bytes[](0));
    }

    function testRevert_L2ChainIdTaken() public {
        vm.expectRevert(
            abi.encodeWithSelector(IRollupInbox.L2ChainIdTaken.selector, uint64(167_001))
        );
        inbox.registerRollup(167_001, "again");
    }

    function testRevert_InvalidRollup() public {
        vm.expectRevert(IRollupInbox.InvalidRollup.selector);
        inbox.registerRollup(0, "zero");
        vm.expectRevert(IRollupInbox.InvalidRollup.selector);
        inbox.registerRollup(5, "");
    }

    /// Every position of every batch size verifies, and a changed leaf does not.
    function testFuzz_PositionProofs(uint8 rawCount, uint8 rawPosition) public view {
        uint256 count = bound(rawCount, 1, 40);
        uint256 position = rawPosition % count;
        bytes32[] memory hashes = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            hashes[i] = keccak256(abi.encode(i, count));
        }
        bytes32 txHash = hashes[position];
        bytes32 root = BatchProofs.root(hashes);
        bytes32[] memory siblings = BatchProofs.siblings(hashes, position);
        vm.assertTrue(this.verifyExternal(root, count, position, txHash, siblings), "valid proof");
        vm.assertFalse(this.verifyExternal(root, count, position, ~txHash, siblings), "wrong leaf");
        vm.assertFalse(
            this.verifyExternal(root, count + 1, position, txHash, siblings), "wrong count"
        );
    }

    function verifyExternal(
        bytes32 root,
        uint256 count,
        uint256 position,
        bytes32 txHash,
        bytes32[] calldata s
    ) external pure returns (bool) {
        return BatchRoot.verify(root, count, position, txHash, s);
    }

    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        return lo + (x % (hi - lo + 1));
    }
}

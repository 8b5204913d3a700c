// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {DisputeFixture} from "./InclusionDispute.t.sol";
import {BatchProofs} from "./utils/BatchProofs.sol";
import {EvidenceFixtures as F} from "./fixtures/EvidenceFixtures.sol";
import {ISlasher} from "../src/interfaces/ISlasher.sol";

/// @notice The gas targets of issue 4, measured per call (execution gas of the external
///         call, without the 21 000 base and calldata cost) and recorded with
///         `snapshotGasLastCall` in snapshots/GasTargets.json; each asserts its target.
contract GasTargetsTest is DisputeFixture {
    function test_Gas_RegisterHundredKeys() public {
        address op = address(0x7777);
        vm.deal(op, MIN_COLLATERAL);
        vm.prank(op);
        registry.registerOperator{value: MIN_COLLATERAL}(address(0x77C));
        bytes memory packed;
        for (uint256 i; i < 100; ++i) {
            packed = abi.encodePacked(packed, _pubkey(5000 + i), new bytes(96));
        }
        vm.prank(op);
        registry.registerValidators(packed);
        uint256 g = vm.snapshotGasLastCall("GasTargets", "registerValidators_100_keys");
        vm.assertLe(g / 100, 50_000, "registration per key");
    }

    function test_Gas_Equivocation() public {
        uint64 s = _futureSlot(2);
        ISlasher.Commitment memory a = _sequencing(s, _one(rollupA, 3, keccak256("one")));
        ISlasher.Commitment memory b = _sequencing(s, _one(rollupA, 3, keccak256("two")));
        bytes memory sigA = _sign(COMMITTER_KEY, a);
        bytes memory sigB = _sign(COMMITTER_KEY, b);
        vm.prank(challenger);
        slasher.slashEquivocation(a, sigA, 0, b, sigB, 0);
        vm.assertLe(vm.snapshotGasLastCall("GasTargets", "slashEquivocation"), 100_000, "target");
    }

    function test_Gas_RollupSequencing() public {
        uint64 s = _futureSlot(2);
        bytes[] memory txs = new bytes[](64);
        bytes32[] memory h = new bytes32[](64);
        for (uint256 i; i < 64; ++i) {
            txs[i] = abi.encodePacked("rollup tx ", i);
            h[i] = keccak256(txs[i]);
        }
        vm.warp(inbox.slotTimestamp(s));
        vm.prank(committer);
        inbox.submitBatch(rollupA, s, txs);
        vm.warp(block.timestamp + 12);
        ISlasher.Commitment memory c = _sequencing(s, _one(rollupA, 37, keccak256("promised")));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        bytes32[] memory sib = BatchProofs.siblings(h, 37);
        vm.prank(challenger);
        slasher.slashSequencing(c, sig, 0, h[37], sib);
        vm.assertLe(
            vm.snapshotGasLastCall("GasTargets", "slashSequencing_64_tx_batch"), 120_000, "target"
        );
    }

    function test_Gas_DisputeOpenAndDefendOneTx() public {
        bytes32[] memory hashes = _single(F.TX_2);
        ISlasher.Commitment memory c = _inclusion(slot, hashes);
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.prank(challenger);
        bytes32 digest = slasher.openDispute{value: BOND}(c, sig);
        vm.assertLe(vm.snapshotGasLastCall("GasTargets", "openDispute_1_tx"), 150_000, "open");
        ISlasher.TxInclusion[] memory inc = _inclusionOf(2, F.txProof2());
        vm.prank(operator);
        slasher.defendInclusion(digest, hashes, slotHeader, inc);
        vm.assertLe(
            vm.snapshotGasLastCall("GasTargets", "defendInclusion_1_tx_150_tx_block"),
            250_000,
            "defend"
        );
    }

    function test_Gas_DefendNonceSpent() public {
        bytes32[] memory hashes = _single(F.TX_2);
        ISlasher.Commitment memory c = _inclusion(slot, hashes);
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.prank(challenger);
        bytes32 digest = slasher.openDispute{value: BOND}(c, sig);
        bytes[] memory proof = F.accountProofSpent();
        vm.prank(operator);
        slasher.defendNonceSpent(digest, hashes, 0, F.TX_2, slotHeader, parentHeader, proof);
        vm.assertLe(vm.snapshotGasLastCall("GasTargets", "defendNonceSpent"), 250_000, "defend");
    }

    function test_Gas_Liveness() public {
        uint64 s = _futureSlot(3);
        uint256 ts = inbox.slotTimestamp(s);
        bytes memory b = _header(keccak256("gp"), bytes32(0), bytes32(0), 7_000_000, ts - 12);
        bytes memory a = _header(keccak256(b), bytes32(0), bytes32(0), 7_000_001, ts + 12);
        vm.warp(ts + 60);
        _canonical(a, 7_000_001);
        ISlasher.Commitment memory c = _sequencing(s, _one(rollupA, 0, keccak256("x")));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.prank(challenger);
        slasher.slashLiveness(c, sig, b, a);
        vm.snapshotGasLastCall("GasTargets", "slashLiveness");
    }
}

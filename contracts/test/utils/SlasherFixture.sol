// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {BaseTest} from "./Vm.sol";
import {RLPWriter} from "./RLPWriter.sol";
import {Registry} from "../../src/Registry.sol";
import {RollupInbox} from "../../src/RollupInbox.sol";
import {Slasher} from "../../src/Slasher.sol";
import {ISlasher} from "../../src/interfaces/ISlasher.sol";
import {IRegistry} from "../../src/interfaces/IRegistry.sol";
import {IRollupInbox} from "../../src/interfaces/IRollupInbox.sol";

/// @notice The three contracts deployed in the documented order (Registry with the
///         precomputed Slasher address, RollupInbox, Slasher), one operator with one active
///         validator key, two rollups, and helpers to sign commitments and build headers.
abstract contract SlasherFixture is BaseTest {
    uint256 internal constant GENESIS = 1_700_000_000;
    uint256 internal constant SECONDS_PER_SLOT = 12;
    uint256 internal constant MIN_COLLATERAL = 10 ether;
    uint256 internal constant EXIT_DELAY = 2 days;
    uint256 internal constant FRAUD_WINDOW = 1 days;
    uint256 internal constant FRAUD_PENALTY = 1 ether;
    uint256 internal constant SHARE_BPS = 5000;
    uint256 internal constant SAFETY = 4 ether;
    uint256 internal constant LIVENESS = 0.5 ether;
    uint256 internal constant BOND = 0.1 ether;
    uint256 internal constant OPEN_WINDOW = 6 hours;
    uint256 internal constant DEFEND_WINDOW = 12 hours;
    uint256 internal constant COLLATERAL = 20 ether;

    uint256 internal constant COMMITTER_KEY = 0xA11CE;
    uint256 internal constant OTHER_KEY = 0xB0B;

    Registry internal registry;
    RollupInbox internal inbox;
    Slasher internal slasher;
    address internal committer;
    address internal operator = address(0x09E7A70E);
    address internal challenger = address(0xC4A11E);
    bytes internal validatorPubkey;
    bytes32 internal pubkeyHash;
    uint64 internal rollupA;
    uint64 internal rollupB;

    function setUp() public virtual {
        vm.warp(GENESIS + 100_000 * SECONDS_PER_SLOT);
        vm.roll(1_000_000);
        address predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 2);
        registry = new Registry(
            MIN_COLLATERAL, EXIT_DELAY, FRAUD_WINDOW, FRAUD_PENALTY, SHARE_BPS, predicted
        );
        inbox = new RollupInbox(GENESIS, SECONDS_PER_SLOT);
        slasher = new Slasher(registry, inbox, SAFETY, LIVENESS, BOND, OPEN_WINDOW, DEFEND_WINDOW);
        vm.assertEq(address(slasher), predicted, "slasher at the precomputed address");
        committer = vm.addr(COMMITTER_KEY);
        validatorPubkey = _pubkey(1);
        pubkeyHash = keccak256(validatorPubkey);
        vm.deal(operator, 100 ether);
        vm.deal(challenger, 100 ether);
        vm.startPrank(operator);
        registry.registerOperator{value: COLLATERAL}(committer);
        registry.registerValidators(abi.encodePacked(validatorPubkey, new bytes(96)));
        vm.stopPrank();
        vm.warp(block.timestamp + FRAUD_WINDOW);
        rollupA = inbox.registerRollup(167_001, "alpha");
        rollupB = inbox.registerRollup(167_002, "beta");
    }

    function _pubkey(uint256 i) internal pure returns (bytes memory) {
        return abi.encodePacked(bytes16(0xa0000000000000000000000000000000), bytes32(i));
    }

    /// The next slot whose timestamp is still ahead.
    function _futureSlot(uint256 ahead) internal view returns (uint64) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint64((block.timestamp - GENESIS) / SECONDS_PER_SLOT + ahead);
    }

    function _sign(uint256 key, ISlasher.Commitment memory c) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, slasher.digestOf(c));
        return abi.encodePacked(r, s, v);
    }

    function _sequencing(uint64 slot, ISlasher.Placement[] memory placements)
        internal
        view
        returns (ISlasher.Commitment memory c)
    {
        c.kind = 1;
        c.slot = slot;
        c.validatorPubkey = validatorPubkey;
        c.committer = committer;
        c.requestId = keccak256(abi.encode("request", slot, placements.length));
        c.fee = 1 gwei;
        c.placements = placements;
    }

    function _one(uint64 rollupId, uint64 position, bytes32 txHash)
        internal
        pure
        returns (ISlasher.Placement[] memory p)
    {
        p = new ISlasher.Placement[](1);
        p[0] = ISlasher.Placement(rollupId, position, txHash);
    }

    function _inclusion(uint64 slot, bytes32[] memory txHashes)
        internal
        view
        returns (ISlasher.Commitment memory c)
    {
        c.kind = 0;
        c.slot = slot;
        c.validatorPubkey = validatorPubkey;
        c.committer = committer;
        c.requestId = keccak256(abi.encode("inclusion", slot));
        c.fee = 2 gwei;
        c.txHashes = txHashes;
    }

    /// A Prague-shaped header (21 fields); only the ones the Slasher reads are chosen.
    function _header(
        bytes32 parentHash,
        bytes32 stateRoot,
        bytes32 txRoot,
        uint256 number,
        uint256 timestamp
    ) internal pure returns (bytes memory) {
        bytes[] memory f = new bytes[](21);
        f[0] = RLPWriter.encodeBytes(abi.encodePacked(parentHash));
        f[1] = RLPWriter.encodeBytes(abi.encodePacked(keccak256(hex"c0")));
        f[2] = RLPWriter.encodeBytes(abi.encodePacked(address(0xFEE)));
        f[3] = RLPWriter.encodeBytes(abi.encodePacked(stateRoot));
        f[4] = RLPWriter.encodeBytes(abi.encodePacked(txRoot));
        f[5] = RLPWriter.encodeBytes(abi.encodePacked(keccak256("receipts")));
        f[6] = RLPWriter.encodeBytes(new bytes(256));
        f[7] = RLPWriter.encodeUint(0);
        f[8] = RLPWriter.encodeUint(number);
        f[9] = RLPWriter.encodeUint(36_000_000);
        f[10] = RLPWriter.encodeUint(12_345_678);
        f[11] = RLPWriter.encodeUint(timestamp);
        f[12] = RLPWriter.encodeBytes("baton");
        f[13] = RLPWriter.encodeBytes(abi.encodePacked(keccak256("prevrandao")));
        f[14] = RLPWriter.encodeBytes(new bytes(8));
        f[15] = RLPWriter.encodeUint(7 gwei);
        f[16] = RLPWriter.encodeBytes(abi.encodePacked(keccak256("withdrawals")));
        f[17] = RLPWriter.encodeUint(0);
        f[18] = RLPWriter.encodeUint(0);
        f[19] = RLPWriter.encodeBytes(abi.encodePacked(keccak256("beacon root")));
        f[20] = RLPWriter.encodeBytes(abi.encodePacked(keccak256("requests")));
        return RLPWriter.encodeList(f);
    }

    /// Makes `header` the canonical block `number` (BLOCKHASH window).
    function _canonical(bytes memory header, uint256 number) internal {
        if (block.number <= number) vm.roll(number + 1);
        vm.setBlockhash(number, keccak256(header));
    }

    function _collateral() internal view returns (uint256) {
        return registry.operatorOf(operator).collateral;
    }
}

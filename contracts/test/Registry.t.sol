// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {SlasherFixture} from "./utils/SlasherFixture.sol";
import {Registry} from "../src/Registry.sol";
import {Slasher} from "../src/Slasher.sol";
import {IRegistry} from "../src/interfaces/IRegistry.sol";
import {ISlasher} from "../src/interfaces/ISlasher.sol";

/// @notice Rejects ETH: a challenger that cannot be paid.
contract NoReceive {}

/// @notice An operator contract that cannot take its collateral back.
contract RejectingOperator {
    function join(Registry r, address committer) external payable {
        r.registerOperator{value: msg.value}(committer);
    }

    function optOut(Registry r) external {
        r.requestOptOut();
    }

    function withdraw(Registry r) external {
        r.withdraw();
    }
}

/// @notice Operators, optimistic key registration, exit and slashing access.
contract RegistryTest is SlasherFixture {
    address internal op2 = address(0x2222);
    address internal committer2 = address(0x2C);

    function setUp() public override {
        super.setUp();
        vm.deal(op2, 100 ether);
        vm.prank(op2);
        registry.registerOperator{value: MIN_COLLATERAL}(committer2);
    }

    function _batch(uint256 from, uint256 n) internal pure returns (bytes memory packed) {
        for (uint256 i; i < n; ++i) {
            packed = abi.encodePacked(packed, _pubkey(from + i), new bytes(96));
        }
    }

    function test_RegisterHundredKeys() public {
        bytes memory packed = _batch(1000, 100);
        vm.prank(op2);
        uint256 g = gasleft();
        uint32 batchId = registry.registerValidators(packed);
        g -= gasleft();
        vm.assertLe(g / 100, 50_000, "per key");
        bytes32 h = keccak256(_pubkey(1050));
        vm.assertEq(registry.committerOf(h), address(0), "pending in fraud window");
        vm.warp(block.timestamp + FRAUD_WINDOW);
        vm.assertEq(registry.committerOf(h), committer2, "active");
        vm.assertTrue(registry.isActive(h), "isActive");
        vm.assertEq(registry.validatorKey(h).batchId, batchId, "batch");
    }

    function test_ExitAfterDelayKillsKeys() public {
        vm.startPrank(operator);
        registry.requestOptOut();
        vm.assertEq(registry.committerOf(pubkeyHash), committer, "slashable while exiting");
        vm.assertFalse(registry.isActive(pubkeyHash), "not active");
        vm.warp(block.timestamp + EXIT_DELAY);
        uint256 before = operator.balance;
        registry.withdraw();
        vm.stopPrank();
        vm.assertEq(operator.balance - before, COLLATERAL, "refund");
        vm.assertEq(registry.committerOf(pubkeyHash), address(0), "key dead");
        // The key is free again for another operator.
        vm.prank(op2);
        registry.registerValidators(abi.encodePacked(validatorPubkey, new bytes(96)));
    }

    function testRevert_InvalidParameters() public {
        vm.expectRevert(IRegistry.InvalidParameters.selector);
        new Registry(0, 1, 1, 1, 1, address(1));
        vm.expectRevert(IRegistry.InvalidParameters.selector);
        new Registry(1, 1, 1, 1, 10_001, address(1));
    }

    function testRevert_InsufficientCollateral() public {
        vm.expectRevert(
            abi.encodeWithSelector(IRegistry.InsufficientCollateral.selector, 1, MIN_COLLATERAL)
        );
        registry.registerOperator{value: 1}(address(0x3C));
    }

    function testRevert_OperatorExists() public {
        vm.expectRevert(abi.encodeWithSelector(IRegistry.OperatorExists.selector, operator));
        vm.prank(operator);
        registry.registerOperator{value: MIN_COLLATERAL}(address(0x3C));
    }

    function testRevert_CommitterTaken() public {
        vm.deal(address(this), 100 ether);
        vm.expectRevert(abi.encodeWithSelector(IRegistry.CommitterTaken.selector, committer));
        registry.registerOperator{value: MIN_COLLATERAL}(committer);
    }

    function testRevert_NotOperator() public {
        vm.expectRevert(abi.encodeWithSelector(IRegistry.NotOperator.selector, address(this)));
        registry.registerValidators(_batch(1, 1));
    }

    function testRevert_OperatorExiting() public {
        vm.startPrank(operator);
        registry.requestOptOut();
        vm.expectRevert(abi.encodeWithSelector(IRegistry.OperatorExiting.selector, operator));
        registry.registerValidators(_batch(5, 1));
        vm.expectRevert(abi.encodeWithSelector(IRegistry.OperatorExiting.selector, operator));
        registry.requestOptOut();
        vm.stopPrank();
    }

    function testRevert_BadRegistrationData() public {
        vm.expectRevert(abi.encodeWithSelector(IRegistry.BadRegistrationData.selector, 143));
        vm.prank(operator);
        registry.registerValidators(new bytes(143));
    }

    function testRevert_KeyAlreadyRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(IRegistry.KeyAlreadyRegistered.selector, pubkeyHash));
        vm.prank(op2);
        registry.registerValidators(abi.encodePacked(validatorPubkey, new bytes(96)));
    }

    function testRevert_NotSlasher() public {
        vm.expectRevert(abi.encodeWithSelector(IRegistry.NotSlasher.selector, address(this)));
        registry.slash(operator, 1, address(this));
        vm.expectRevert(abi.encodeWithSelector(IRegistry.NotSlasher.selector, address(this)));
        registry.lockOperator(operator);
    }

    function testRevert_OptOutNotRequested() public {
        vm.expectRevert(abi.encodeWithSelector(IRegistry.OptOutNotRequested.selector, operator));
        vm.prank(operator);
        registry.withdraw();
    }

    function testRevert_ExitNotReady() public {
        vm.prank(op2);
        registry.registerValidators(_batch(7, 1));
        uint256 fraudClosed = block.timestamp + FRAUD_WINDOW;
        vm.warp(block.timestamp + 10);
        vm.startPrank(op2);
        registry.requestOptOut();
        uint256 ready = block.timestamp + EXIT_DELAY;
        vm.expectRevert(abi.encodeWithSelector(IRegistry.ExitNotReady.selector, ready));
        registry.withdraw();
        vm.stopPrank();
        vm.assertLe(fraudClosed, ready, "exit delay dominates here");
    }

    function testRevert_DisputesOpen() public {
        vm.prank(address(slasher));
        registry.lockOperator(operator);
        vm.startPrank(operator);
        registry.requestOptOut();
        vm.warp(block.timestamp + EXIT_DELAY);
        vm.expectRevert(abi.encodeWithSelector(IRegistry.DisputesOpen.selector, 1));
        registry.withdraw();
        vm.stopPrank();
    }

    function testRevert_TransferFailed() public {
        RejectingOperator op = new RejectingOperator();
        vm.deal(address(op), MIN_COLLATERAL);
        op.join{value: MIN_COLLATERAL}(registry, address(0x3C));
        op.optOut(registry);
        vm.warp(block.timestamp + EXIT_DELAY);
        vm.expectRevert(
            abi.encodeWithSelector(IRegistry.TransferFailed.selector, address(op), MIN_COLLATERAL)
        );
        op.withdraw(registry);
    }

    /// A challenger that rejects ETH forfeits its reward; the slash still happens.
    function test_UnpayableChallengerCannotBlockSlash() public {
        NoReceive sink = new NoReceive();
        vm.prank(address(slasher));
        uint256 slashed = registry.slash(operator, 1 ether, address(sink));
        vm.assertEq(slashed, 1 ether, "slashed");
        vm.assertEq(registry.burned(), 1 ether, "all locked");
    }

    function test_SlashIsCappedByCollateral() public {
        vm.prank(address(slasher));
        uint256 slashed = registry.slash(op2, 1000 ether, challenger);
        vm.assertEq(slashed, MIN_COLLATERAL, "capped");
        vm.assertEq(registry.burned(), MIN_COLLATERAL / 2, "burned half");
    }

    function test_AddCollateral() public {
        vm.prank(operator);
        registry.addCollateral{value: 1 ether}();
        vm.assertEq(_collateral(), COLLATERAL + 1 ether, "added");
    }
}

/// @notice The Slasher refuses a Registry that does not name it, or unsafe windows.
contract SlasherDeploymentTest is SlasherFixture {
    function testRevert_InvalidParameters() public {
        vm.expectRevert(ISlasher.InvalidParameters.selector);
        new Slasher(registry, inbox, SAFETY, LIVENESS, BOND, OPEN_WINDOW, DEFEND_WINDOW);
        address predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 1);
        Registry r = new Registry(1, 1 days, 1, 0, 0, predicted);
        // Liveness penalty not below the safety penalty.
        vm.expectRevert(ISlasher.InvalidParameters.selector);
        new Slasher(r, inbox, 1, 1, BOND, 1 hours, 1 hours);
    }

    /// A challenger contract that rejects ETH cannot block the dispute's resolution (nor
    /// the operator's exit): its bond refund is best effort and stays locked on failure.
    function test_UnpayableChallengerCannotBlockDispute() public {
        NoReceive sink = new NoReceive();
        uint64 slot = _futureSlot(1);
        bytes32[] memory hashes = new bytes32[](1);
        hashes[0] = keccak256("t");
        ISlasher.Commitment memory c = _inclusion(slot, hashes);
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.warp(inbox.slotTimestamp(slot) + 1);
        vm.deal(address(sink), 1 ether);
        vm.prank(address(sink));
        bytes32 digest = slasher.openDispute{value: BOND}(c, sig);
        vm.warp(block.timestamp + DEFEND_WINDOW + 1);
        vm.assertEq(slasher.resolveDispute(digest), SAFETY, "slashed");
        vm.assertEq(registry.operatorOf(operator).openDisputes, 0, "unlocked");
        vm.assertEq(address(slasher).balance, BOND, "refund stayed locked");
    }
}

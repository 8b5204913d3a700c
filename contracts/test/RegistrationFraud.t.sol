// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {SlasherFixture} from "./utils/SlasherFixture.sol";
import {BlsFixtures as B} from "./fixtures/BlsFixtures.sol";
import {IRegistry} from "../src/interfaces/IRegistry.sol";
import {IEvidence} from "../src/interfaces/IEvidence.sol";
import {BLS} from "../src/lib/BLS.sol";

/// @notice Optimistic key registration: an invalid proof of possession is proven on-chain
///         with the EIP-2537 precompiles (vectors from the noble-curves package).
contract RegistrationFraudTest is SlasherFixture {
    address internal blsOperator = address(0xB15);
    bytes internal filler;

    function setUp() public override {
        super.setUp();
        filler = _pubkey(77);
        vm.deal(blsOperator, 100 ether);
        vm.prank(blsOperator);
        registry.registerOperator{value: MIN_COLLATERAL}(vm.addr(B.COMMITTER_KEY));
    }

    function _register(bytes memory signature)
        internal
        returns (IRegistry.RegistrationFraudProof memory p)
    {
        vm.prank(blsOperator);
        p.batchId = registry.registerValidators(
            abi.encodePacked(filler, new bytes(96), B.PUBKEY, signature)
        );
        p.entries = new bytes32[](2);
        p.entries[0] = keccak256(abi.encodePacked(filler, new bytes(96)));
        p.entries[1] = keccak256(abi.encodePacked(B.PUBKEY, signature));
        p.index = 1;
        p.pubkey = B.PUBKEY;
        p.signature = signature;
        p.pubkeyPoint = B.PUBKEY_POINT;
    }

    function test_MessageMatchesVector() public view {
        vm.assertEq(registry.popMessage(vm.addr(B.COMMITTER_KEY)), B.MESSAGE, "message");
    }

    function test_ExpandMessageXmd() public pure {
        bytes memory out = BLS.expandMessageXmd(B.MESSAGE, BLS.DST, 256);
        vm.assertEq(out, B.EXPANDED, "expand_message_xmd");
    }

    function test_HashToG2() public view {
        vm.assertEq(BLS.hashToG2(B.MESSAGE), B.HASH_TO_G2, "hash_to_curve");
    }

    function test_InvalidSignatureIsFraud() public {
        IRegistry.RegistrationFraudProof memory p = _register(B.BAD_SIGNATURE);
        p.signaturePoint = B.BAD_SIGNATURE_POINT;
        bytes32 h = keccak256(B.PUBKEY);
        uint256 before = challenger.balance;
        vm.prank(challenger);
        registry.proveRegistrationFraud(p);
        vm.assertEq(registry.validatorKey(h).operator, address(0), "unbound");
        vm.assertEq(
            registry.operatorOf(blsOperator).collateral, MIN_COLLATERAL - FRAUD_PENALTY, "slashed"
        );
        vm.assertEq(challenger.balance - before, FRAUD_PENALTY / 2, "reward");
    }

    /// A signature whose encoding can never be valid (compression flag clear) is fraud
    /// without any point: here the filler key's all-zero signature.
    function test_MalformedEncodingIsFraud() public {
        IRegistry.RegistrationFraudProof memory p = _register(B.SIGNATURE);
        p.index = 0;
        p.pubkey = filler;
        p.signature = new bytes(96);
        vm.prank(challenger);
        registry.proveRegistrationFraud(p);
        vm.assertEq(registry.validatorKey(keccak256(filler)).operator, address(0), "unbound");
    }

    function testRevert_RegistrationValid() public {
        IRegistry.RegistrationFraudProof memory p = _register(B.SIGNATURE);
        p.signaturePoint = B.SIGNATURE_POINT;
        vm.expectRevert(
            abi.encodeWithSelector(IRegistry.RegistrationValid.selector, keccak256(B.PUBKEY))
        );
        registry.proveRegistrationFraud(p);
    }

    function testRevert_BlsPointMismatch() public {
        IRegistry.RegistrationFraudProof memory p = _register(B.BAD_SIGNATURE);
        p.signaturePoint = B.SIGNATURE_POINT; // the point of another signature
        vm.expectRevert(IEvidence.BlsPointMismatch.selector);
        registry.proveRegistrationFraud(p);
    }

    function testRevert_BlsPrecompileFailed() public {
        IRegistry.RegistrationFraudProof memory p = _register(B.BAD_SIGNATURE);
        p.signaturePoint = B.BAD_SIGNATURE_POINT;
        // Same x and sign, but y moved off the curve: the pairing precompile rejects it.
        bytes memory pk = B.PUBKEY_POINT;
        pk[127] = bytes1(uint8(pk[127]) ^ 2);
        p.pubkeyPoint = pk;
        vm.expectRevert(
            abi.encodeWithSelector(IEvidence.BlsPrecompileFailed.selector, address(0x0f))
        );
        registry.proveRegistrationFraud(p);
    }

    function testRevert_UnknownKey() public {
        IRegistry.RegistrationFraudProof memory p = _register(B.BAD_SIGNATURE);
        p.batchId += 1;
        vm.expectRevert(abi.encodeWithSelector(IRegistry.UnknownKey.selector, keccak256(B.PUBKEY)));
        registry.proveRegistrationFraud(p);
    }

    function testRevert_FraudWindowClosed() public {
        IRegistry.RegistrationFraudProof memory p = _register(B.BAD_SIGNATURE);
        p.signaturePoint = B.BAD_SIGNATURE_POINT;
        uint256 closes = block.timestamp + FRAUD_WINDOW;
        vm.warp(closes);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRegistry.FraudWindowClosed.selector, keccak256(B.PUBKEY), closes
            )
        );
        registry.proveRegistrationFraud(p);
    }

    function testRevert_EntriesMismatch() public {
        IRegistry.RegistrationFraudProof memory p = _register(B.BAD_SIGNATURE);
        p.index = 0;
        vm.expectRevert(abi.encodeWithSelector(IRegistry.EntriesMismatch.selector, p.batchId));
        registry.proveRegistrationFraud(p);
    }
}

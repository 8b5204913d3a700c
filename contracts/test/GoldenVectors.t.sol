// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {SlasherFixture} from "./utils/SlasherFixture.sol";
import {BatchProofs} from "./utils/BatchProofs.sol";
import {ISlasher} from "../src/interfaces/ISlasher.sol";
import {BatchRoot} from "../src/lib/BatchRoot.sol";
import {CommitmentLib} from "../src/lib/CommitmentLib.sol";

/// @notice The golden vectors shared with `baton_preconf` (preconf/tests/vectors/*.json):
///         EIP-712 struct hashes, digests and signers, batch roots and every position
///         proof. A missing or unreadable vector file fails the test. Regenerate the files
///         with `cargo run -p baton-preconf --example gen_vectors`.
contract GoldenVectorsTest is SlasherFixture {
    string internal constant EIP712 = "/../preconf/tests/vectors/eip712.json";
    string internal constant BATCH = "/../preconf/tests/vectors/batch.json";

    /// Exposes BatchRoot.verify (calldata siblings) to the test.
    function verifyExternal(
        bytes32 root,
        uint256 count,
        uint256 position,
        bytes32 txHash,
        bytes32[] calldata siblings
    ) external pure returns (bool) {
        return BatchRoot.verify(root, count, position, txHash, siblings);
    }

    function test_Eip712Vectors() public {
        string memory path = string.concat(vm.projectRoot(), EIP712);
        _runEip712(vm.readFile(path));
    }

    function _runEip712(string memory json) internal {
        vm.chainId(vm.parseJsonUint(json, ".chainId"));
        // Run the deployed Slasher's code at the vectors' verifying contract.
        address at = vm.parseJsonAddress(json, ".verifyingContract");
        vm.etch(at, address(slasher).code);
        ISlasher s = ISlasher(at);
        vm.assertEq(s.domainSeparator(), vm.parseJsonBytes32(json, ".domainSeparator"), "domain");
        uint256 n;
        while (vm.keyExistsJson(json, _key(n, ""))) {
            _checkCommitment(s, json, n);
            ++n;
        }
        vm.assertTrue(n > 0, "no commitments in eip712.json");
    }

    function _checkCommitment(ISlasher s, string memory json, uint256 i) internal view {
        ISlasher.Commitment memory c;
        c.kind = uint8(vm.parseJsonUint(json, _key(i, ".kind")));
        c.slot = uint64(vm.parseJsonUint(json, _key(i, ".slot")));
        c.validatorPubkey = vm.parseJsonBytes(json, _key(i, ".validatorPubkey"));
        c.committer = vm.parseJsonAddress(json, _key(i, ".committer"));
        c.requestId = vm.parseJsonBytes32(json, _key(i, ".requestId"));
        c.fee = vm.parseJsonUint(json, _key(i, ".fee"));
        c.txHashes = vm.parseJsonBytes32Array(json, _key(i, ".txHashes"));
        uint256 m;
        while (vm.keyExistsJson(json, _placementKey(i, m, ""))) {
            ++m;
        }
        c.placements = new ISlasher.Placement[](m);
        for (uint256 j; j < m; ++j) {
            c.placements[j] = ISlasher.Placement(
                uint64(vm.parseJsonUint(json, _placementKey(i, j, ".rollupId"))),
                uint64(vm.parseJsonUint(json, _placementKey(i, j, ".position"))),
                vm.parseJsonBytes32(json, _placementKey(i, j, ".txHash"))
            );
        }
        bytes32 structHash = this.structHashOf(c);
        vm.assertEq(structHash, vm.parseJsonBytes32(json, _key(i, ".structHash")), "structHash");
        bytes32 digest = s.digestOf(c);
        vm.assertEq(digest, vm.parseJsonBytes32(json, _key(i, ".digest")), "digest");
        vm.assertEq(
            CommitmentLib.typedDigest(s.domainSeparator(), structHash), digest, "digest parts"
        );
        bytes memory sig = vm.parseJsonBytes(json, _key(i, ".signature"));
        vm.assertEq(s.recoverCommitter(c, sig), c.committer, "signer");
    }

    /// Exposes CommitmentLib.structHash (calldata) to the test.
    function structHashOf(ISlasher.Commitment calldata c) external pure returns (bytes32) {
        return CommitmentLib.structHash(c);
    }

    function test_BatchVectors() public view {
        string memory path = string.concat(vm.projectRoot(), BATCH);
        _runBatch(vm.readFile(path));
    }

    function _runBatch(string memory json) internal view {
        uint256 n;
        while (vm.keyExistsJson(json, _case(n, ""))) {
            _checkBatch(json, n);
            ++n;
        }
        vm.assertTrue(n > 0, "no cases in batch.json");
    }

    function _checkBatch(string memory json, uint256 i) internal view {
        bytes[] memory txs = vm.parseJsonBytesArray(json, _case(i, ".txs"));
        bytes32[] memory hashes = vm.parseJsonBytes32Array(json, _case(i, ".txHashes"));
        bytes32 root = vm.parseJsonBytes32(json, _case(i, ".root"));
        uint256 count = vm.parseJsonUint(json, _case(i, ".count"));
        vm.assertEq(txs.length, count, "count vs txs");
        vm.assertEq(hashes.length, count, "count vs hashes");
        for (uint256 j; j < count; ++j) {
            vm.assertEq(keccak256(txs[j]), hashes[j], "txHash");
        }
        vm.assertEq(BatchProofs.root(hashes), root, "root");
        uint256 p;
        while (vm.keyExistsJson(json, _proofKey(i, p, ""))) {
            uint256 position = vm.parseJsonUint(json, _proofKey(i, p, ".position"));
            bytes32[] memory siblings = vm.parseJsonBytes32Array(json, _proofKey(i, p, ".siblings"));
            vm.assertTrue(
                this.verifyExternal(root, count, position, hashes[position], siblings), "proof"
            );
            vm.assertEq(
                keccak256(abi.encode(siblings)),
                keccak256(abi.encode(BatchProofs.siblings(hashes, position))),
                "siblings"
            );
            ++p;
        }
    }

    /// The checkers themselves, on vectors written here in the documented format with a
    /// verifying contract at 0xBA7 (so a format slip in this file is caught before the Rust
    /// vectors exist, and the etch-at-the-vector's-address path is exercised).
    function test_CheckersAcceptDocumentedFormat() public {
        ISlasher.Commitment memory c = _sequencing(7, _one(3, 2, keccak256("t")));
        _runEip712(
            string.concat(
                '{"chainId": ',
                vm.toString(block.chainid),
                ', "verifyingContract": "',
                vm.toString(address(0xBA7)),
                '", "domainSeparator": "',
                vm.toString(CommitmentLib.domainSeparator(address(0xBA7))),
                '", "commitments": [',
                _resigned(c),
                "]}"
            )
        );
        bytes32[] memory hashes = new bytes32[](3);
        string memory txs;
        string memory hs;
        for (uint256 i; i < 3; ++i) {
            bytes memory t = abi.encodePacked("tx", i);
            hashes[i] = keccak256(t);
            txs = string.concat(txs, i == 0 ? "" : ", ", '"', vm.toString(t), '"');
            hs = string.concat(hs, i == 0 ? "" : ", ", '"', vm.toString(hashes[i]), '"');
        }
        bytes32[] memory sib = BatchProofs.siblings(hashes, 2);
        _runBatch(
            string.concat(
                '{"cases": [{"txs": [',
                txs,
                '], "txHashes": [',
                hs,
                '], "root": "',
                vm.toString(BatchProofs.root(hashes)),
                '", "count": 3, "proofs": [{"position": 2, "siblings": ["',
                vm.toString(sib[0]),
                '", "',
                vm.toString(sib[1]),
                '"]}]}]}'
            )
        );
    }

    /// `c` signed under the domain of a Slasher at 0xBA7, as a JSON commitment entry.
    function _resigned(ISlasher.Commitment memory c) internal view returns (string memory) {
        bytes32 structHash = this.structHashOf(c);
        bytes32 digest =
            CommitmentLib.typedDigest(CommitmentLib.domainSeparator(address(0xBA7)), structHash);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(COMMITTER_KEY, digest);
        return string.concat(
            '{"kind": 1, "slot": 7, "validatorPubkey": "',
            vm.toString(c.validatorPubkey),
            '", "committer": "',
            vm.toString(c.committer),
            '", "requestId": "',
            vm.toString(c.requestId),
            '", "fee": "1000000000", "txHashes": [], "placements": [',
            '{"rollupId": 3, "position": 2, "txHash": "',
            vm.toString(c.placements[0].txHash),
            '"}], "structHash": "',
            vm.toString(structHash),
            '", "digest": "',
            vm.toString(digest),
            '", "signature": "',
            vm.toString(abi.encodePacked(r, s, v)),
            '"}'
        );
    }

    function _key(uint256 i, string memory field) internal pure returns (string memory) {
        return string.concat(".commitments[", vm.toString(i), "]", field);
    }

    function _placementKey(uint256 i, uint256 j, string memory field)
        internal
        pure
        returns (string memory)
    {
        return string.concat(_key(i, ".placements["), vm.toString(j), "]", field);
    }

    function _case(uint256 i, string memory field) internal pure returns (string memory) {
        return string.concat(".cases[", vm.toString(i), "]", field);
    }

    function _proofKey(uint256 i, uint256 p, string memory field)
        internal
        pure
        returns (string memory)
    {
        return string.concat(_case(i, ".proofs["), vm.toString(p), "]", field);
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {SlasherFixture} from "./SlasherFixture.sol";
import {Registry} from "../../src/Registry.sol";
import {RollupInbox} from "../../src/RollupInbox.sol";
import {Slasher} from "../../src/Slasher.sol";
import {IMarketSlasher} from "../../src/interfaces/IMarketSlasher.sol";

/// @notice The world of the marketplace golden vectors (preconf/tests/vectors/market.json,
///         written by `cargo run -p baton-preconf --example gen_vectors`): the contracts
///         deployed in the documented order by anvil's first dev account under the vectors'
///         chain id, so the Slasher sits at the vectors' `verifyingContract` and every
///         signature in the file verifies against the real contract; the vectors' committer
///         registered by the fixture's operator. A missing or unreadable file fails setUp.
abstract contract MarketVectors is SlasherFixture {
    string internal constant MARKET = "/../preconf/tests/vectors/market.json";
    /// @dev Anvil's first dev account; its nonces 0, 1, 2 deploy Registry, inbox, Slasher.
    address internal constant DEPLOYER = 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266;

    /// The Slasher, seen through its marketplace paths.
    IMarketSlasher internal market;
    string internal json;
    uint256 internal committerKey;

    /// Replaces the SlasherFixture world (its committer is not the vectors').
    function setUp() public virtual override {
        json = vm.readFile(string.concat(vm.projectRoot(), MARKET));
        vm.chainId(vm.parseJsonUint(json, ".chainId"));
        vm.warp(GENESIS + 100_000 * SECONDS_PER_SLOT);
        address predicted = vm.computeCreateAddress(DEPLOYER, 2);
        vm.startPrank(DEPLOYER);
        registry = new Registry(
            MIN_COLLATERAL, EXIT_DELAY, FRAUD_WINDOW, FRAUD_PENALTY, SHARE_BPS, predicted
        );
        inbox = new RollupInbox(GENESIS, SECONDS_PER_SLOT);
        slasher = new Slasher(registry, inbox, SAFETY, LIVENESS, BOND, OPEN_WINDOW, DEFEND_WINDOW);
        vm.stopPrank();
        vm.assertEq(
            address(slasher), vm.parseJsonAddress(json, ".verifyingContract"), "verifyingContract"
        );
        market = IMarketSlasher(address(slasher));
        committerKey = vm.parseJsonUint(json, ".committerKey");
        committer = vm.addr(committerKey);
        vm.deal(operator, 100 ether);
        vm.deal(challenger, 100 ether);
        vm.prank(operator);
        registry.registerOperator{value: COLLATERAL}(committer);
    }

    function _receipt(uint256 i) internal view returns (IMarketSlasher.BidReceipt memory r) {
        string memory k = string.concat(".receipts[", vm.toString(i), "]");
        r.bidHash = vm.parseJsonBytes32(json, string.concat(k, ".bidHash"));
        r.slot = uint64(vm.parseJsonUint(json, string.concat(k, ".slot")));
        r.product = vm.parseJsonBytes32(json, string.concat(k, ".product"));
        r.amount = vm.parseJsonUint(json, string.concat(k, ".amount"));
        r.seq = uint32(vm.parseJsonUint(json, string.concat(k, ".seq")));
        r.arrivalMs = uint64(vm.parseJsonUint(json, string.concat(k, ".arrivalMs")));
        r.committer = vm.parseJsonAddress(json, string.concat(k, ".committer"));
    }

    function _receiptSig(uint256 i) internal view returns (bytes memory) {
        return vm.parseJsonBytes(json, string.concat(".receipts[", vm.toString(i), "].signature"));
    }

    /// The clearing at JSON path `k` (`.clearing`, `.unfair.omitsLast.clearing`, …).
    function _clearing(string memory k) internal view returns (IMarketSlasher.Clearing memory c) {
        c.slot = uint64(vm.parseJsonUint(json, string.concat(k, ".slot")));
        c.committer = vm.parseJsonAddress(json, string.concat(k, ".committer"));
        c.bidsRoot = vm.parseJsonBytes32(json, string.concat(k, ".bidsRoot"));
        c.bidCount = uint32(vm.parseJsonUint(json, string.concat(k, ".bidCount")));
        uint256 n;
        while (vm.keyExistsJson(json, _award(k, n, ""))) {
            ++n;
        }
        c.awards = new IMarketSlasher.Award[](n);
        for (uint256 i; i < n; ++i) {
            c.awards[i] = IMarketSlasher.Award(
                vm.parseJsonBytes32(json, _award(k, i, ".product")),
                vm.parseJsonBytes32(json, _award(k, i, ".bidHash")),
                vm.parseJsonUint(json, _award(k, i, ".amount")),
                uint32(vm.parseJsonUint(json, _award(k, i, ".seq")))
            );
        }
    }

    function _clearingSig(string memory k) internal view returns (bytes memory) {
        return vm.parseJsonBytes(json, string.concat(k, ".signature"));
    }

    function _product(uint256 i) internal view returns (IMarketSlasher.Product memory p) {
        string memory k = string.concat(".products[", vm.toString(i), "]");
        p.kind = uint8(vm.parseJsonUint(json, string.concat(k, ".kind")));
        uint256[] memory rollups = vm.parseJsonUintArray(json, string.concat(k, ".rollups"));
        p.rollups = new uint64[](rollups.length);
        for (uint256 j; j < rollups.length; ++j) {
            p.rollups[j] = uint64(rollups[j]);
        }
        p.positions = uint16(vm.parseJsonUint(json, string.concat(k, ".positions")));
    }

    /// The preimage of every award of `c`, looked up among the vectors' products.
    function _awardProducts(IMarketSlasher.Clearing memory c)
        internal
        view
        returns (IMarketSlasher.Product[] memory ps)
    {
        ps = new IMarketSlasher.Product[](c.awards.length);
        for (uint256 i; i < c.awards.length; ++i) {
            uint256 j;
            while (vm.parseJsonBytes32(json, _productId(j)) != c.awards[i].product) {
                ++j;
            }
            ps[i] = _product(j);
        }
    }

    function _productId(uint256 i) internal pure returns (string memory) {
        return string.concat(".products[", vm.toString(i), "].id");
    }

    function _award(string memory k, uint256 i, string memory field)
        internal
        pure
        returns (string memory)
    {
        return string.concat(k, ".awards[", vm.toString(i), "]", field);
    }

    function _signReceipt(uint256 key, IMarketSlasher.BidReceipt memory r)
        internal
        view
        returns (bytes memory)
    {
        (uint8 v, bytes32 rr, bytes32 s) = vm.sign(key, market.receiptDigestOf(r));
        return abi.encodePacked(rr, s, v);
    }

    function _signClearing(uint256 key, IMarketSlasher.Clearing memory c)
        internal
        view
        returns (bytes memory)
    {
        (uint8 v, bytes32 rr, bytes32 s) = vm.sign(key, market.clearingDigestOf(c));
        return abi.encodePacked(rr, s, v);
    }

    /// `ecrecover` of a 65-byte `r ‖ s ‖ v` signature.
    function _recover(bytes32 digest, bytes memory sig) internal pure returns (address) {
        bytes32 r;
        bytes32 s;
        assembly {
            r := mload(add(sig, 32))
            s := mload(add(sig, 64))
        }
        return ecrecover(digest, uint8(sig[64]), r, s);
    }
}

// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

/// @title IMarketSlasher
/// @notice The ordering marketplace's slashing paths (docs/marketplace.md "Disputes"): a
///         committer that receipted a sealed bid and then signed an unfair clearing is
///         slashed from the two signatures alone, no game. The rules are those of
///         `baton_preconf::market::dispute` (`check_*`), asserted by the golden vectors in
///         preconf/tests/vectors/market.json. Signatures, domain and penalties are the
///         Slasher's (see {ISlasher}); the errors shared with the other paths
///         (`SignerMismatch`, `AlreadySlashed`, `InvalidPositionProof`, `MalformedSignature`)
///         are declared there and in {IEvidence}. Served at the Slasher's address (its
///         fallback runs {MarketDisputes} by DELEGATECALL); the ABI is abi/MarketDisputes.json.
interface IMarketSlasher {
    /// @notice The committer's receipt for one bid (EIP-712 type `BidReceipt`).
    /// @param bidHash The bid's EIP-712 digest.
    /// @param slot The slot auctioned.
    /// @param product The bid's product id.
    /// @param amount Wei offered.
    /// @param seq Arrival order per (committer, slot): the receipt's leaf in the bids root.
    /// @param arrivalMs Arrival time in Unix milliseconds (informational).
    /// @param committer The committer that receipted and clears the auction.
    struct BidReceipt {
        bytes32 bidHash;
        uint64 slot;
        bytes32 product;
        uint256 amount;
        uint32 seq;
        uint64 arrivalMs;
        address committer;
    }

    /// @notice One product's winner (EIP-712 type `Award`).
    struct Award {
        bytes32 product;
        bytes32 bidHash;
        uint256 amount;
        uint32 seq;
    }

    /// @notice The signed outcome of one slot's auction (EIP-712 type `Clearing`).
    /// @param bidsRoot The batch-tree root over every receipt's struct hash in `seq` order.
    /// @param bidCount How many receipts the root covers.
    /// @param awards The awards in clearing order.
    struct Clearing {
        uint64 slot;
        address committer;
        bytes32 bidsRoot;
        uint32 bidCount;
        Award[] awards;
    }

    /// @notice A product's preimage: `id = keccak256(abi.encode(kind, rollups, positions))`.
    /// @param kind 0 top of batch, 1 whole batch, 2 cross-rollup bundle.
    /// @param rollups The rollups it claims (one; or 2 to 8 strictly ascending for a bundle).
    /// @param positions Top positions per rollup (0 for a whole batch).
    struct Product {
        uint8 kind;
        uint64[] rollups;
        uint16 positions;
    }

    /// @notice The three faults; part of the replay key.
    enum MarketFault {
        OmittedBid,
        LowerWinner,
        IgnoredProduct
    }

    /// @notice A committer was slashed for an unfair clearing.
    /// @param fault Which fault was proven.
    /// @param operator The committer's operator.
    /// @param slot The auctioned slot.
    /// @param clearingDigest The unfair clearing's EIP-712 digest.
    /// @param receiptDigest The wronged receipt's EIP-712 digest.
    /// @param challenger Who submitted the evidence (paid the challenger share).
    /// @param amount Wei slashed.
    event MarketFaultSlashed(
        MarketFault indexed fault,
        address indexed operator,
        uint64 indexed slot,
        bytes32 clearingDigest,
        bytes32 receiptDigest,
        address challenger,
        uint256 amount
    );

    /// @notice Called on the {MarketDisputes} code itself instead of through the Slasher.
    error NotDelegated();
    /// @notice No operator is registered for the committer (never, or it has withdrawn).
    error UnknownCommitter(address committer);
    /// @notice The receipt and the clearing are for different slots.
    error SlotMismatch(uint64 receiptSlot, uint64 clearingSlot);
    /// @notice The receipt and the clearing are by different committers.
    error CommitterMismatch(address receiptCommitter, address clearingCommitter);
    /// @notice The clearing's `bidCount` exceeds the 4096 bids a slot may have.
    error TooManyBids(uint256 bidCount);
    /// @notice The clearing has more than the 64 awards (products) a slot may have.
    error TooManyAwards(uint256 awards);
    /// @notice A clearing of zero bids must have `bidsRoot == 0` and no awards.
    error NonEmptyWithoutBids();
    /// @notice Award `index` names a `seq` at or beyond `bidCount`.
    error AwardSeqOutOfRange(uint256 index, uint32 seq, uint32 bidCount);
    /// @notice Award `index` has a zero amount.
    error ZeroAward(uint256 index);
    /// @notice Award `index` repeats an earlier award's product.
    error DuplicateAward(uint256 index, bytes32 product);
    /// @notice Leaf `seq` holds this very receipt: nothing is omitted.
    error ReceiptIncluded(uint32 seq);
    /// @notice No award at this index.
    error AwardOutOfRange(uint256 index, uint256 awards);
    /// @notice The award is for another product than the receipt.
    error DifferentProduct(bytes32 receiptProduct, bytes32 awardProduct);
    /// @notice The award's bid beats (or is) the receipted one.
    error AwardNotLower(uint256 awardAmount, uint32 awardSeq);
    /// @notice Preimage `index` (0: the receipt's product, `i + 1`: award `i`'s) does not
    ///         hash to the id it stands for.
    error PreimageMismatch(uint256 index);
    /// @notice Preimage `index` is not a product: the receipt's product breaks a product
    ///         bound (no honest committer receipts it), or an award's names more than 8
    ///         rollups (the bound on the conflict check; no product names more).
    error InvalidProduct(uint256 index);
    /// @notice Not one product preimage per award.
    error AwardProductCount(uint256 given, uint256 awards);
    /// @notice The receipt's product is award `index`.
    error ProductAwarded(uint256 index);
    /// @notice Award `index` shares a rollup with the receipt's product, so skipping the
    ///         receipt's product was the rule.
    error ConflictingAward(uint256 index);

    /// @notice Fault (a): the receipted bid is not leaf `receipt.seq` of the clearing's root.
    ///         Proven when `receipt.seq >= clearing.bidCount` (then `leafHash` and `siblings`
    ///         are unused), or when `siblings` prove `leafHash` at position `receipt.seq` of a
    ///         tree of `bidCount` under `bidsRoot` and `leafHash` is not the receipt's struct
    ///         hash.
    /// @param receipt The receipt, signed by `receiptSig` (its committer, this domain).
    /// @param clearing The clearing, signed by `clearingSig` (same committer and slot).
    /// @param leafHash The struct hash that leaf `receipt.seq` holds.
    /// @param siblings Its position proof, bottom-up (`BatchRoot.verify`).
    /// @return slashed Wei taken (the safety penalty, capped by the collateral).
    function slashOmittedBid(
        BidReceipt calldata receipt,
        bytes calldata receiptSig,
        Clearing calldata clearing,
        bytes calldata clearingSig,
        bytes32 leafHash,
        bytes32[] calldata siblings
    ) external returns (uint256 slashed);

    /// @notice Fault (b): award `awardIndex` is for the receipt's product with a lower amount,
    ///         or the same amount and a later `seq`.
    function slashLowerWinner(
        BidReceipt calldata receipt,
        bytes calldata receiptSig,
        Clearing calldata clearing,
        bytes calldata clearingSig,
        uint256 awardIndex
    ) external returns (uint256 slashed);

    /// @notice Fault (a'): the receipt's product (a valid product with preimage `product`)
    ///         got no award although no awarded product shares a rollup with it, so the greedy
    ///         rule had to award it. `awardProducts[i]` is the preimage of award `i`'s product.
    function slashIgnoredProduct(
        BidReceipt calldata receipt,
        bytes calldata receiptSig,
        Product calldata product,
        Clearing calldata clearing,
        bytes calldata clearingSig,
        Product[] calldata awardProducts
    ) external returns (uint256 slashed);

    /// @notice The EIP-712 digest the committer signs for `receipt` under this domain.
    function receiptDigestOf(BidReceipt calldata receipt) external view returns (bytes32);

    /// @notice The EIP-712 digest the committer signs for `clearing` under this domain.
    function clearingDigestOf(Clearing calldata clearing) external view returns (bytes32);

    /// @notice `hashStruct(receipt)`: the receipt's leaf in the bids root.
    function receiptStructHash(BidReceipt calldata receipt) external pure returns (bytes32);

    /// @notice A product's id, `keccak256(abi.encode(kind, rollups, positions))`.
    function productIdOf(Product calldata product) external pure returns (bytes32);

    /// @notice Whether `fault` was already slashed for the clearing with this digest.
    function marketSlashed(MarketFault fault, bytes32 clearingDigest) external view returns (bool);
}

//! The marketplace's EIP-712 type definitions (`docs/marketplace.md`), as alloy `sol!`
//! structs: the exact shapes that get hashed and signed. The richer Rust types
//! [`super::Bid`], [`super::BidReceipt`] and [`super::Clearing`] convert into them.

#![allow(missing_docs)] // field docs live in docs/marketplace.md

alloy_sol_types::sol! {
    #[derive(Debug, PartialEq, Eq)]
    struct Bid {
        uint64 slot;
        bytes validatorPubkey;
        bytes32 product;
        uint256 amount;
        bytes32[] txHashes;
        bytes32 paymentTxHash;
        address bidder;
        uint64 nonce;
    }

    #[derive(Debug, PartialEq, Eq)]
    struct BidReceipt {
        bytes32 bidHash;
        uint64 slot;
        bytes32 product;
        uint256 amount;
        uint32 seq;
        uint64 arrivalMs;
        address committer;
    }

    #[derive(Debug, PartialEq, Eq)]
    struct Award {
        bytes32 product;
        bytes32 bidHash;
        uint256 amount;
        uint32 seq;
    }

    #[derive(Debug, PartialEq, Eq)]
    struct Clearing {
        uint64 slot;
        address committer;
        bytes32 bidsRoot;
        uint32 bidCount;
        Award[] awards;
    }
}

#[cfg(test)]
mod tests {
    use alloy_sol_types::SolStruct;

    use super::*;

    #[test]
    fn type_strings_match_the_spec() {
        assert_eq!(
            Bid::eip712_encode_type(),
            "Bid(uint64 slot,bytes validatorPubkey,bytes32 product,uint256 amount,bytes32[] txHashes,bytes32 paymentTxHash,address bidder,uint64 nonce)"
        );
        assert_eq!(
            BidReceipt::eip712_encode_type(),
            "BidReceipt(bytes32 bidHash,uint64 slot,bytes32 product,uint256 amount,uint32 seq,uint64 arrivalMs,address committer)"
        );
        assert_eq!(
            Clearing::eip712_encode_type(),
            "Clearing(uint64 slot,address committer,bytes32 bidsRoot,uint32 bidCount,Award[] awards)Award(bytes32 product,bytes32 bidHash,uint256 amount,uint32 seq)"
        );
    }
}

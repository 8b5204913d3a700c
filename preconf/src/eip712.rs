//! The EIP-712 type definitions of `docs/commitments.md`, as alloy `sol!` structs.
//!
//! These are the exact shapes that get hashed and signed; the richer Rust types in
//! [`crate::commitment`] and [`crate::request`] convert into them.

#![allow(missing_docs)] // field docs live in docs/commitments.md

use alloy_primitives::{Address, B256};
use alloy_sol_types::{Eip712Domain, eip712_domain};

alloy_sol_types::sol! {
    #[derive(Debug, PartialEq, Eq)]
    struct RollupTx {
        uint64 rollupId;
        bytes32 txHash;
    }

    #[derive(Debug, PartialEq, Eq)]
    struct InclusionRequest {
        uint64 slot;
        bytes32[] txHashes;
    }

    #[derive(Debug, PartialEq, Eq)]
    struct SequencingRequest {
        uint64 slot;
        RollupTx[] txs;
    }

    #[derive(Debug, PartialEq, Eq)]
    struct Placement {
        uint64 rollupId;
        uint64 position;
        bytes32 txHash;
    }

    #[derive(Debug, PartialEq, Eq)]
    struct Commitment {
        uint8 kind;
        uint64 slot;
        bytes validatorPubkey;
        address committer;
        bytes32 requestId;
        uint256 fee;
        bytes32[] txHashes;
        Placement[] placements;
    }
}

/// The signing domain every Baton signature uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatonDomain {
    /// The L1 chain id.
    #[serde(with = "crate::types::quoted")]
    pub chain_id: u64,
    /// The `Slasher` contract.
    pub verifying_contract: Address,
}

impl BatonDomain {
    /// The EIP-712 domain `{name: "Baton", version: "1", chainId, verifyingContract}`.
    pub fn eip712(&self) -> Eip712Domain {
        eip712_domain! {
            name: "Baton",
            version: "1",
            chain_id: self.chain_id,
            verifying_contract: self.verifying_contract,
        }
    }

    /// The domain separator.
    pub fn separator(&self) -> B256 {
        self.eip712().separator()
    }
}

#[cfg(test)]
mod tests {
    use alloy_sol_types::SolStruct;

    use super::*;

    #[test]
    fn type_strings_match_the_spec() {
        assert_eq!(
            Commitment::eip712_encode_type(),
            "Commitment(uint8 kind,uint64 slot,bytes validatorPubkey,address committer,bytes32 requestId,uint256 fee,bytes32[] txHashes,Placement[] placements)Placement(uint64 rollupId,uint64 position,bytes32 txHash)"
        );
        assert_eq!(
            SequencingRequest::eip712_encode_type(),
            "SequencingRequest(uint64 slot,RollupTx[] txs)RollupTx(uint64 rollupId,bytes32 txHash)"
        );
        assert_eq!(
            InclusionRequest::eip712_encode_type(),
            "InclusionRequest(uint64 slot,bytes32[] txHashes)"
        );
    }
}

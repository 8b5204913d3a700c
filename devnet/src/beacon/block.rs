//! The beacon block a proposer signs: an Electra blinded block around the execution
//! payload header (the builder's, or the local payload's), with a real RANDAO reveal.
//! Its `hash_tree_root` equals the full block's, so it is the slot's block root and the
//! next payload's `parent_beacon_block_root`.

use alloy_primitives::B256;
use baton_preconf::{
    BlsSecretKey, ChainSpec, Epoch, Slot,
    bls::{compute_domain, compute_signing_root},
    ssz::{
        BlindedBeaconBlockElectra, BlsSignatureBytes, Eth1Data, ExecutionPayload,
        ExecutionPayloadHeader, ExecutionRequests, KzgBytes, MAX_BLOB_COMMITMENTS_PER_BLOCK,
        SignedBlindedBeaconBlockElectra, SszError, transactions_root,
    },
};
use sha2::{Digest, Sha256};
use ssz_rs::List;

use super::chain::Head;

/// `DOMAIN_RANDAO` (consensus-specs).
pub(crate) const DOMAIN_RANDAO: [u8; 4] = [0x02, 0x00, 0x00, 0x00];

/// Graffiti of every devnet block.
const GRAFFITI: [u8; 32] = *b"baton-devnet\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

/// The RANDAO reveal of `key` for `epoch`: a signature over the epoch's
/// `hash_tree_root` under `DOMAIN_RANDAO`.
pub(crate) fn randao_reveal(key: &BlsSecretKey, chain: &ChainSpec, epoch: Epoch) -> [u8; 96] {
    let mut epoch_root = [0u8; 32];
    epoch_root[..8].copy_from_slice(&epoch.0.to_le_bytes());
    let domain = compute_domain(
        DOMAIN_RANDAO,
        chain.current_fork_version,
        chain.genesis_validators_root,
    );
    key.sign(compute_signing_root(B256::from(epoch_root), domain))
        .0
}

/// The RANDAO mix after a block with `reveal`: `mix xor sha256(reveal)`.
pub(crate) fn next_randao_mix(mix: B256, reveal: &[u8; 96]) -> B256 {
    let digest = Sha256::digest(reveal);
    let mut out = mix.0;
    for (byte, d) in out.iter_mut().zip(digest.iter()) {
        *byte ^= d;
    }
    B256::from(out)
}

/// The devnet's state root after a block: `sha256` over the slot, the parent root, the
/// new RANDAO mix and the execution block hash. (The devnet keeps no full
/// `BeaconState`; this commits to the part of it the devnet has.)
pub(crate) fn state_root(
    slot: Slot,
    parent_root: B256,
    randao_mix: B256,
    block_hash: B256,
) -> B256 {
    let digest = Sha256::new()
        .chain_update(b"baton-devnet-state")
        .chain_update(slot.0.to_le_bytes())
        .chain_update(parent_root)
        .chain_update(randao_mix)
        .chain_update(block_hash)
        .finalize();
    B256::from(<[u8; 32]>::from(digest))
}

/// What goes into a block besides the payload header.
#[derive(Debug, Clone)]
pub(crate) struct BlockParts {
    /// The slot.
    pub slot: Slot,
    /// The proposer's validator index.
    pub proposer_index: u64,
    /// The payload header.
    pub header: ExecutionPayloadHeader,
    /// Blob commitments of the payload's blob transactions.
    pub blob_kzg_commitments: List<KzgBytes, MAX_BLOB_COMMITMENTS_PER_BLOCK>,
    /// The payload's execution requests.
    pub execution_requests: ExecutionRequests,
}

/// A signed block and the RANDAO mix it leads to.
#[derive(Debug, Clone)]
pub(crate) struct SignedBlock {
    /// The signed blinded block.
    pub block: SignedBlindedBeaconBlockElectra,
    /// Its root.
    pub root: B256,
    /// The RANDAO mix after it.
    pub randao_mix: B256,
}

/// Builds the blinded block of `parts` on `head` and signs it with `key`.
pub(crate) fn assemble(
    chain: &ChainSpec,
    head: &Head,
    key: &BlsSecretKey,
    parts: BlockParts,
) -> Result<SignedBlock, SszError> {
    let reveal = randao_reveal(key, chain, chain.epoch_of(parts.slot));
    let randao_mix = next_randao_mix(head.randao_mix, &reveal);
    let block_hash = B256::from(parts.header.block_hash);
    let mut block = BlindedBeaconBlockElectra {
        slot: parts.slot.0,
        proposer_index: parts.proposer_index,
        parent_root: head.root.0,
        state_root: state_root(parts.slot, head.root, randao_mix, block_hash).0,
        ..Default::default()
    };
    let body = &mut block.body;
    body.randao_reveal =
        BlsSignatureBytes::try_from(reveal.to_vec()).map_err(|_| SszError::Shape {
            what: "randao_reveal",
            reason: "not 96 bytes".to_owned(),
        })?;
    body.eth1_data = Eth1Data {
        deposit_root: [0; 32],
        deposit_count: 0,
        block_hash: head.block_hash.0,
    };
    body.graffiti = GRAFFITI;
    body.execution_payload_header = parts.header;
    body.blob_kzg_commitments = parts.blob_kzg_commitments;
    body.execution_requests = parts.execution_requests;
    let root = block.root()?;
    let block = block.sign(
        key,
        chain.current_fork_version,
        chain.genesis_validators_root,
    )?;
    Ok(SignedBlock {
        block,
        root,
        randao_mix,
    })
}

/// The header of a full payload (its SSZ `transactions_root` computed here).
pub(crate) fn payload_header(
    payload: &ExecutionPayload,
) -> Result<ExecutionPayloadHeader, SszError> {
    let root = transactions_root(&payload.transactions).ok_or_else(|| SszError::Shape {
        what: "transactions",
        reason: "too many transactions".to_owned(),
    })?;
    payload.header(root)
}

#[cfg(test)]
mod tests {
    use baton_preconf::{BlsSignature, ssz::hash_tree_root};

    use super::*;
    use crate::beacon::keys::interop_secret_key;

    fn head() -> Head {
        Head {
            slot: Slot(4),
            root: B256::repeat_byte(4),
            state_root: B256::repeat_byte(5),
            block_hash: B256::repeat_byte(6),
            block_number: 3,
            timestamp: 1_000,
            gas_limit: 30_000_000,
            randao_mix: B256::repeat_byte(7),
        }
    }

    #[test]
    fn assembled_blocks_are_signed_rooted_and_mix_randao() {
        let chain = ChainSpec::devnet(1, 1_000);
        let key = interop_secret_key(0).unwrap();
        let mut header = ExecutionPayloadHeader {
            block_number: 4,
            ..Default::default()
        };
        header.block_hash = [9; 32];
        let parts = BlockParts {
            slot: Slot(5),
            proposer_index: 0,
            header,
            blob_kzg_commitments: List::default(),
            execution_requests: ExecutionRequests::default(),
        };
        let signed = assemble(&chain, &head(), &key, parts.clone()).unwrap();
        assert_eq!(signed.root, hash_tree_root(&signed.block.message).unwrap());
        assert_eq!(signed.block.message.parent_root, head().root.0);
        signed
            .block
            .verify(
                &key.public_key(),
                chain.current_fork_version,
                chain.genesis_validators_root,
            )
            .unwrap();
        // The reveal verifies under DOMAIN_RANDAO and moves the mix.
        let reveal = BlsSignature::from_slice(&signed.block.message.body.randao_reveal).unwrap();
        let mut epoch_root = [0u8; 32];
        epoch_root[..8].copy_from_slice(&0u64.to_le_bytes());
        let domain = compute_domain(DOMAIN_RANDAO, chain.current_fork_version, B256::ZERO);
        reveal
            .verify(
                &key.public_key(),
                compute_signing_root(B256::from(epoch_root), domain),
            )
            .unwrap();
        assert_ne!(signed.randao_mix, head().randao_mix);
        // Deterministic: the same parts give the same block root.
        let again = assemble(&chain, &head(), &key, parts).unwrap();
        assert_eq!(again.root, signed.root);
    }
}

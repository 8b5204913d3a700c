//! Simulated participants that send the relay exactly what real ones send: a proposer
//! (registrations, delegations, signed blinded blocks), a gateway (signed constraints)
//! and a builder (signed submissions whose block hash, transactions root and constraint
//! multiproof are computed like a real builder's). The integration tests and
//! `baton-relay-loadgen` use them; nothing here is used by the relay itself.

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use baton_preconf::{
    BlsPublicKey, BlsSecretKey, Slot,
    constraints::{
        CONSTRAINT_TYPE_INCLUSION, Constraint, ConstraintsMessage, Delegation, SignedConstraints,
        SignedDelegation,
    },
    ssz::{
        BeaconJson, BidTarget, BlindedBeaconBlockElectra, ExecutionPayload, ExecutionPayloadHeader,
        ExecutionRequests, InclusionMultiProof, SignedBlindedBeaconBlockElectra,
        SignedValidatorRegistration, SubmitBlockRequestElectra, Transaction,
        ValidatorRegistrationV1, execution_block_hash, prove_transactions, sign_submission,
    },
};
use serde_json::Value;
use ssz_rs::List;

use crate::beacon::{ChainInfo, PayloadAttributes};

/// Gas limit of simulated blocks.
pub const GAS_LIMIT: u64 = 30_000_000;

/// Devnet-like chain facts with `genesis_time` (a non-zero validators root, so a
/// signature over the wrong domain fails).
pub fn chain_info(genesis_time: u64) -> ChainInfo {
    ChainInfo {
        genesis_time,
        genesis_validators_root: B256::repeat_byte(0x42),
        genesis_fork_version: [0x10, 0, 0, 0x38],
        current_fork_version: [0x60, 0, 0, 0x38],
    }
}

/// A deterministic BLS key.
pub fn bls_key(seed: u64) -> BlsSecretKey {
    let mut ikm = [0x5au8; 32];
    ikm[..8].copy_from_slice(&seed.to_le_bytes());
    // 32 bytes of input keying material always derive a key.
    BlsSecretKey::from_ikm(&ikm).unwrap_or_else(|_| unreachable!("32-byte IKM"))
}

/// The payload attributes a beacon node would announce for `slot` (parent values derived
/// from the slot, so every slot has its own parent).
pub fn attributes(
    info: &ChainInfo,
    seconds_per_slot: u64,
    slot: Slot,
    proposer_index: u64,
) -> PayloadAttributes {
    let tag = keccak256(slot.0.to_le_bytes());
    PayloadAttributes {
        proposal_slot: slot,
        proposer_index,
        parent_block_hash: keccak256([tag.as_slice(), b"parent"].concat()),
        parent_block_number: slot.0 + 1_000,
        parent_beacon_block_root: keccak256([tag.as_slice(), b"beacon"].concat()),
        timestamp: info.genesis_time + slot.0 * seconds_per_slot,
        prev_randao: keccak256([tag.as_slice(), b"randao"].concat()),
        withdrawals: List::default(),
    }
}

/// `count` signed EIP-1559 transactions from one sender starting at `first_nonce`, with
/// calldata of 0 to 600 bytes (typical mainnet sizes).
pub fn transactions(sender_seed: u64, first_nonce: u64, count: usize) -> Vec<Bytes> {
    let mut secret = [0x11u8; 32];
    secret[..8].copy_from_slice(&(sender_seed + 1).to_le_bytes());
    let signer = PrivateKeySigner::from_bytes(&B256::from(secret))
        .unwrap_or_else(|_| unreachable!("a valid secp256k1 scalar"));
    (0..count as u64)
        .map(|i| {
            let nonce = first_nonce + i;
            let tx = TxEip1559 {
                chain_id: 3_151_908,
                nonce,
                gas_limit: 21_000 + 16 * 600,
                max_fee_per_gas: 30_000_000_000,
                max_priority_fee_per_gas: 1_000_000_000,
                to: TxKind::Call(Address::repeat_byte(0x22)),
                value: U256::from(nonce),
                input: Bytes::from(vec![0xab; ((nonce * 37) % 600) as usize]),
                ..Default::default()
            };
            let signature = signer
                .sign_hash_sync(&tx.signature_hash())
                .unwrap_or_else(|_| unreachable!("signing a hash cannot fail"));
            TxEnvelope::Eip1559(tx.into_signed(signature))
                .encoded_2718()
                .into()
        })
        .collect()
}

/// A proposer (validator).
#[derive(Debug)]
pub struct Proposer {
    /// Its key.
    pub key: BlsSecretKey,
    /// Its validator index.
    pub index: u64,
    /// Where it wants to be paid.
    pub fee_recipient: Address,
}

impl Proposer {
    /// Its public key.
    pub fn pubkey(&self) -> BlsPublicKey {
        self.key.public_key()
    }

    /// A signed registration at `timestamp`.
    pub fn registration(&self, info: &ChainInfo, timestamp: u64) -> SignedValidatorRegistration {
        ValidatorRegistrationV1::new(self.fee_recipient.0.0, GAS_LIMIT, timestamp, &self.pubkey())
            .sign(&self.key, info.genesis_fork_version)
            .unwrap_or_else(|_| unreachable!("a registration always hashes"))
    }

    /// A signed delegation of `slot` to `delegate`.
    pub fn delegation(
        &self,
        info: &ChainInfo,
        slot: Slot,
        delegate: BlsPublicKey,
    ) -> SignedDelegation {
        Delegation {
            proposer: self.pubkey(),
            delegate,
            committer: Address::repeat_byte(0xc0),
            slot,
            metadata: Bytes::new(),
        }
        .sign(&self.key, info.genesis_fork_version)
        .unwrap_or_else(|_| unreachable!("empty metadata is in bounds"))
    }

    /// Signs the blinded block of `slot` carrying a served bid's `header`.
    pub fn sign_blinded(
        &self,
        info: &ChainInfo,
        attributes: &PayloadAttributes,
        header: ExecutionPayloadHeader,
    ) -> SignedBlindedBeaconBlockElectra {
        let mut block = BlindedBeaconBlockElectra {
            slot: attributes.proposal_slot.0,
            proposer_index: self.index,
            parent_root: attributes.parent_beacon_block_root.0,
            state_root: [0x33; 32],
            ..Default::default()
        };
        block.body.execution_payload_header = header;
        block.body.graffiti = [b'b'; 32];
        block
            .sign(
                &self.key,
                info.current_fork_version,
                info.genesis_validators_root,
            )
            .unwrap_or_else(|_| unreachable!("a blinded block always hashes"))
    }
}

/// Constraints signed by `signer` (the proposer or its delegate) for `proposer`'s `slot`.
pub fn constraints(
    info: &ChainInfo,
    signer: &BlsSecretKey,
    proposer: BlsPublicKey,
    slot: Slot,
    txs: &[Bytes],
) -> SignedConstraints {
    ConstraintsMessage {
        proposer,
        delegate: signer.public_key(),
        slot,
        constraints: txs
            .iter()
            .map(|tx| Constraint {
                constraint_type: CONSTRAINT_TYPE_INCLUSION,
                payload: tx.clone(),
            })
            .collect(),
        receivers: vec![],
    }
    .sign(signer, info.genesis_fork_version)
    .unwrap_or_else(|_| unreachable!("sizes in bounds"))
}

/// What a builder submits for one block.
#[derive(Debug, Clone)]
pub struct BlockSpec {
    /// The slot's attributes.
    pub attributes: PayloadAttributes,
    /// The slot's proposer.
    pub proposer: BlsPublicKey,
    /// The proposer's registered fee recipient.
    pub fee_recipient: Address,
    /// Value offered (wei).
    pub value: U256,
    /// The block's transactions (canonical encodings), in order.
    pub txs: Vec<Bytes>,
    /// Positions in `txs` to prove (the constrained ones).
    pub prove: Vec<usize>,
    /// Makes otherwise equal blocks differ (goes into `extra_data`).
    pub nonce: u64,
}

/// A built, signed submission.
#[derive(Debug, Clone)]
pub struct Built {
    /// The signed request.
    pub request: SubmitBlockRequestElectra,
    /// The multiproof of `spec.prove` (`None` when nothing is proven).
    pub proofs: Option<InclusionMultiProof>,
}

impl Built {
    /// The block hash.
    pub fn block_hash(&self) -> B256 {
        B256::from(self.request.execution_payload.block_hash)
    }

    /// The JSON body of `POST /relay/v1/builder/blocks`.
    pub fn json(&self) -> Value {
        self.request.to_json()
    }

    /// The JSON body of `POST /constraints/v0/relay/blocks_with_proofs`.
    pub fn json_with_proofs(&self) -> Value {
        match &self.proofs {
            Some(proofs) => self.request.to_json_with_proofs(proofs),
            None => {
                let mut body = self.request.to_json();
                body["proofs"] = Value::Null;
                body
            }
        }
    }

    /// The SSZ body of `POST /relay/v1/builder/blocks`.
    pub fn ssz(&self) -> Vec<u8> {
        ssz_rs::serialize(&self.request).unwrap_or_default()
    }

    /// Re-signs the trace after a test changed it.
    pub fn resign(&mut self, builder: &BlsSecretKey, info: &ChainInfo) {
        self.request.signature = self
            .request
            .message
            .sign(builder, info.genesis_fork_version)
            .unwrap_or_default();
    }
}

/// Builds and signs a block as `builder`.
pub fn build(builder: &BlsSecretKey, info: &ChainInfo, spec: &BlockSpec) -> Built {
    let attributes = &spec.attributes;
    let mut extra = b"baton-sim-".to_vec();
    extra.extend_from_slice(&spec.nonce.to_be_bytes());
    let mut payload = ExecutionPayload {
        parent_hash: attributes.parent_block_hash.0,
        fee_recipient: [0xbb; 20],
        state_root: keccak256(spec.nonce.to_le_bytes()).0,
        receipts_root: [0x44; 32],
        prev_randao: attributes.prev_randao.0,
        block_number: attributes.parent_block_number + 1,
        gas_limit: GAS_LIMIT,
        gas_used: 21_000 * spec.txs.len() as u64,
        timestamp: attributes.timestamp,
        extra_data: List::try_from(extra).unwrap_or_default(),
        base_fee_per_gas: ssz_rs::U256::from(7u64),
        transactions: List::try_from(
            spec.txs
                .iter()
                .map(|t| Transaction::try_from(t.to_vec()).unwrap_or_default())
                .collect::<Vec<_>>(),
        )
        .unwrap_or_default(),
        withdrawals: attributes.withdrawals.clone(),
        ..Default::default()
    };
    let requests = ExecutionRequests::default();
    payload.block_hash =
        execution_block_hash(&payload, attributes.parent_beacon_block_root, &requests)
            .unwrap_or_default()
            .0;
    let target = BidTarget {
        slot: attributes.proposal_slot,
        proposer: spec.proposer,
        proposer_fee_recipient: spec.fee_recipient,
        value: spec.value,
    };
    let request = sign_submission(
        builder,
        info.genesis_fork_version,
        &target,
        payload,
        Default::default(),
        requests,
    )
    .unwrap_or_else(|e| unreachable!("a simulated payload always hashes: {e}"));
    let proofs = (!spec.prove.is_empty()).then(|| {
        let hashes: Vec<B256> = spec
            .prove
            .iter()
            .map(|&p| keccak256(&spec.txs[p]))
            .collect();
        prove_transactions(&spec.txs, &hashes).unwrap_or_else(|e| unreachable!("{e}"))
    });
    Built { request, proofs }
}

//! The wallet: signs requests, checks every answer before trusting it, and follows the
//! promise on L1.

use std::time::Duration;

use alloy_primitives::{B256, Bytes};
use alloy_signer_local::PrivateKeySigner;

use super::{ClientError, L1View, SidecarClient};
use crate::{
    BatonDomain, Commitment, CommitmentKind, InclusionRequest, Request, RollupId,
    RollupTransaction, SequencingRequest, SignedCommitment, Slot, request::CheckedBody,
};

/// Most polls [`Wallet::track`] makes before giving up on a chain that does not move.
const MAX_POLLS: usize = 100_000;

/// A promise the wallet checked: signed by the committer the Registry names for the slot's
/// validator, for this request, slot and items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promise {
    /// The request id (EIP-712 digest of the request).
    pub request_id: B256,
    /// The signed commitment, as received.
    pub signed: SignedCommitment,
}

/// How a promise ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Everything promised landed as promised, in this L1 block.
    Kept {
        /// The block number.
        block: u64,
    },
    /// The slot passed without the promise kept: keep the signed commitment, it is the
    /// evidence for a dispute.
    Broken {
        /// What is missing or wrong.
        reason: String,
    },
}

/// A wallet talking to one sidecar and reading one L1.
#[derive(Debug, Clone)]
pub struct Wallet {
    signer: PrivateKeySigner,
    domain: BatonDomain,
    sidecar: SidecarClient,
    l1: L1View,
}

impl Wallet {
    /// A wallet signing with `signer` for `domain`.
    pub const fn new(
        signer: PrivateKeySigner,
        domain: BatonDomain,
        sidecar: SidecarClient,
        l1: L1View,
    ) -> Self {
        Self {
            signer,
            domain,
            sidecar,
            l1,
        }
    }

    /// The soonest slot the sidecar sells whose validator has a registered committer.
    pub async fn next_slot(&self) -> Result<Option<Slot>, ClientError> {
        for offer in self.sidecar.slots().await? {
            if self.l1.committer_of(&offer.validator_pubkey).await?
                != alloy_primitives::Address::ZERO
            {
                return Ok(Some(offer.slot));
            }
        }
        Ok(None)
    }

    /// Asks for `txs` (signed L1 transactions, network form) to land in `slot`, and checks
    /// the answer.
    pub async fn include(&self, slot: Slot, txs: Vec<Bytes>) -> Result<Promise, ClientError> {
        let request = Request::Inclusion(InclusionRequest { slot, txs });
        let signed = request.clone().sign(&self.signer, &self.domain)?;
        let answer = self.sidecar.request_inclusion(&signed).await?;
        self.verify(&request, answer).await
    }

    /// Asks for rollup transactions to get positions in `slot`'s batches (several rollups:
    /// a cross-rollup bundle), and checks the answer.
    pub async fn sequence(
        &self,
        slot: Slot,
        txs: Vec<(RollupId, Bytes)>,
    ) -> Result<Promise, ClientError> {
        let request = Request::Sequencing(SequencingRequest {
            slot,
            txs: txs
                .into_iter()
                .map(|(rollup_id, tx)| RollupTransaction { rollup_id, tx })
                .collect(),
        });
        let signed = request.clone().sign(&self.signer, &self.domain)?;
        let answer = self.sidecar.request_sequencing(&signed).await?;
        self.verify(&request, answer).await
    }

    /// Checks that `answer` promises `request`: the signature recovers to the commitment's
    /// committer under our domain, the request id and slot match, every item is there in
    /// order, and the Registry names that committer for the slot's validator.
    pub async fn verify(
        &self,
        request: &Request,
        answer: SignedCommitment,
    ) -> Result<Promise, ClientError> {
        let unverified = |why: String| ClientError::Unverified(why);
        let request_id = request.id(&self.domain)?;
        answer
            .verify_for(&self.domain, request_id, request.slot())
            .map_err(|e| unverified(e.to_string()))?;
        let commitment = &answer.commitment;
        match request.decode()? {
            CheckedBody::Inclusion(txs) => {
                let hashes: Vec<B256> = txs.iter().map(|t| t.hash).collect();
                if commitment.kind != CommitmentKind::Inclusion || commitment.tx_hashes != hashes {
                    return Err(unverified(
                        "the commitment does not list our transactions in order".into(),
                    ));
                }
            }
            CheckedBody::Sequencing(txs) => {
                let asked: Vec<(RollupId, B256)> = txs.iter().map(|(r, _, h)| (*r, *h)).collect();
                let given: Vec<(RollupId, B256)> = commitment
                    .placements
                    .iter()
                    .map(|p| (p.rollup_id, p.tx_hash))
                    .collect();
                if commitment.kind != CommitmentKind::Sequencing || asked != given {
                    return Err(unverified(
                        "the commitment does not place our rollup transactions in order".into(),
                    ));
                }
            }
        }
        let registered = self.l1.committer_of(&commitment.validator_pubkey).await?;
        if registered != commitment.committer {
            return Err(unverified(format!(
                "the Registry names committer {registered} for validator {}, not {}",
                commitment.validator_pubkey, commitment.committer
            )));
        }
        Ok(Promise {
            request_id,
            signed: answer,
        })
    }

    /// Follows `promise` on L1, every `poll`, until it is kept or a later slot is the head.
    /// Receipts show where a transaction landed; an inclusion promise is called broken
    /// only once the slot's block body also lacks one of its transactions.
    pub async fn track(&self, promise: &Promise, poll: Duration) -> Result<Outcome, ClientError> {
        let commitment = &promise.signed.commitment;
        let slot = commitment.slot;
        for _ in 0..MAX_POLLS {
            let head = self.l1.head_slot().await?;
            let decided = match commitment.kind {
                CommitmentKind::Inclusion => {
                    self.inclusion_outcome(&commitment.tx_hashes, slot).await?
                }
                CommitmentKind::Sequencing => self.sequencing_outcome(promise, slot).await?,
            };
            match decided {
                Some(outcome) => return Ok(outcome),
                // Only once a later slot is the head: a node can serve the slot's block
                // a moment before its receipts (ethereumjs does).
                // The slot's block body decides, not a receipt (ethereumjs has been
                // seen answering null for one in a block it serves).
                None if head > slot => {
                    if let Some(block) = self.in_slot_block(commitment, slot).await? {
                        return Ok(Outcome::Kept { block });
                    }
                    return Ok(Outcome::Broken {
                        reason: format!("slot {} passed without the promise kept", slot.0),
                    });
                }
                None => tokio::time::sleep(poll).await,
            }
        }
        Err(ClientError::L1(
            "the chain did not reach the promised slot".into(),
        ))
    }

    /// The slot's block, when its body lists every transaction of an inclusion promise.
    async fn in_slot_block(
        &self,
        commitment: &Commitment,
        slot: Slot,
    ) -> Result<Option<u64>, ClientError> {
        if commitment.kind != CommitmentKind::Inclusion {
            return Ok(None);
        }
        let Some((number, txs)) = self.l1.slot_block(slot).await? else {
            return Ok(None);
        };
        Ok(commitment
            .tx_hashes
            .iter()
            .all(|h| txs.contains(h))
            .then_some(number))
    }

    async fn inclusion_outcome(
        &self,
        hashes: &[B256],
        slot: Slot,
    ) -> Result<Option<Outcome>, ClientError> {
        let mut block = None;
        for hash in hashes {
            match self.l1.landed(*hash).await? {
                None => return Ok(None),
                Some((number, landed)) if landed == slot => block = Some(number),
                Some((_, landed)) => {
                    return Ok(Some(Outcome::Broken {
                        reason: format!("{hash} landed in slot {}, not {}", landed.0, slot.0),
                    }));
                }
            }
        }
        Ok(block.map(|block| Outcome::Kept { block }))
    }

    async fn sequencing_outcome(
        &self,
        promise: &Promise,
        slot: Slot,
    ) -> Result<Option<Outcome>, ClientError> {
        let commitment = &promise.signed.commitment;
        let mut block = None;
        for placement in &commitment.placements {
            let Some((number, hashes)) = self
                .l1
                .batch(placement.rollup_id, slot, commitment.committer)
                .await?
            else {
                return Ok(None);
            };
            let at = usize::try_from(placement.position.0).unwrap_or(usize::MAX);
            if hashes.get(at) != Some(&placement.tx_hash) {
                return Ok(Some(Outcome::Broken {
                    reason: format!(
                        "rollup {}'s batch holds another transaction at position {}",
                        placement.rollup_id.0, placement.position.0
                    ),
                }));
            }
            block = Some(number);
        }
        Ok(block.map(|block| Outcome::Kept { block }))
    }
}

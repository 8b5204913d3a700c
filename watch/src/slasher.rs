//! The `Slasher`'s paths as Rust calls (step ⑧): open, defend and resolve an L1 inclusion
//! dispute; slash equivocation, a broken sequencing promise, a missing batch and a missed
//! slot. Each call gathers its evidence from L1 ([`Evidence`]), simulates the transaction
//! first (so a refusal comes back as the contract's named error, not a failed
//! transaction), then sends it the way every execution client accepts
//! ([`baton_contracts::send_transaction`]).

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, B256, Bytes, U256},
    providers::Provider,
    rpc::types::{TransactionInput, TransactionReceipt, TransactionRequest},
    sol_types::{SolInterface, SolValue},
};
use baton_contracts::{ISlasher, Slasher};
use baton_preconf::{
    BatchTree, CommitmentKind, Position, SignedCommitment, Slot, transaction::decode_l1_transaction,
};

use crate::{
    WatchError,
    evidence::{Evidence, SlotBlock},
};

/// Gas sent with every Slasher call: proofs are checked on-chain, and estimates are not
/// trusted across clients; what is not used is not paid.
const SLASHER_GAS: u64 = 3_000_000;

/// `ISlasher.DisputeState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeState {
    /// No dispute for the digest.
    None,
    /// Opened; the operator may still defend.
    Open,
    /// The operator proved the promise kept (or the user's fault).
    Defended,
    /// Undefended: the collateral was slashed.
    Slashed,
    /// The slot was missed: closed by the liveness path.
    Missed,
}

impl DisputeState {
    const fn from_u8(value: u8) -> Self {
        match value {
            1 => Self::Open,
            2 => Self::Defended,
            3 => Self::Slashed,
            4 => Self::Missed,
            _ => Self::None,
        }
    }
}

/// A dispute as the contract stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisputeView {
    /// Where it stands.
    pub state: DisputeState,
    /// Who opened it.
    pub challenger: Address,
    /// The operator accused.
    pub operator: Address,
    /// The last second a defence is accepted.
    pub deadline: u64,
    /// The promised slot.
    pub slot: Slot,
}

/// How an operator answered a dispute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Defence {
    /// Every promised transaction is in the slot's block (MPT proofs).
    Included {
        /// The slot's block.
        block: u64,
    },
    /// The user spent the nonce of promised transaction `leg` before the slot.
    NonceSpent {
        /// Which promised transaction.
        leg: usize,
        /// The slot's block.
        block: u64,
    },
}

/// The Slasher at `address`, called through `provider` (whose wallet pays and signs).
#[derive(Debug, Clone)]
pub struct SlasherClient<P> {
    address: Address,
    evidence: Evidence<P>,
}

/// The Solidity form of a signed commitment: the preconf EIP-712 struct and
/// `ISlasher.Commitment` share one ABI layout, so the conversion is an ABI round trip.
pub fn to_sol(signed: &SignedCommitment) -> Result<(ISlasher::Commitment, Bytes), WatchError> {
    let encoded = signed.commitment.to_eip712().abi_encode();
    let commitment = ISlasher::Commitment::abi_decode(&encoded).map_err(|e| WatchError::Abi {
        reason: e.to_string(),
    })?;
    Ok((commitment, signed.signature.to_bytes().to_vec().into()))
}

impl<P: Provider + Clone> SlasherClient<P> {
    /// The Slasher at `address`.
    pub const fn new(address: Address, provider: P) -> Self {
        Self {
            address,
            evidence: Evidence::new(provider),
        }
    }

    /// The Slasher's address.
    pub const fn address(&self) -> Address {
        self.address
    }

    /// The evidence reader (same node).
    pub const fn evidence(&self) -> &Evidence<P> {
        &self.evidence
    }

    fn contract(&self) -> Slasher::SlasherInstance<P> {
        Slasher::new(self.address, self.evidence.provider().clone())
    }

    /// The start of `slot` by the contract's clock (`slotTimestamp`).
    pub async fn slot_time(&self, slot: Slot) -> Result<u64, WatchError> {
        let t = self.contract().slotTimestamp(slot.0).call().await?;
        u64::try_from(t).map_err(|_| WatchError::Abi {
            reason: format!("slotTimestamp({slot}) = {t}"),
        })
    }

    /// The bond a challenger posts with [`Self::open_dispute`].
    pub async fn dispute_bond(&self) -> Result<U256, WatchError> {
        Ok(self.contract().disputeBond().call().await?)
    }

    /// The dispute on `digest`.
    pub async fn dispute(&self, digest: B256) -> Result<DisputeView, WatchError> {
        let d = self.contract().dispute(digest).call().await?;
        Ok(DisputeView {
            state: DisputeState::from_u8(d.state),
            challenger: d.challenger,
            operator: d.operator,
            deadline: u64::try_from(d.deadline).unwrap_or(u64::MAX),
            slot: Slot(d.slot),
        })
    }

    /// The commitment's EIP-712 digest by the contract's domain.
    pub async fn digest_of(&self, signed: &SignedCommitment) -> Result<B256, WatchError> {
        let (c, _) = to_sol(signed)?;
        Ok(self.contract().digestOf(c).call().await?)
    }

    /// Simulates, then sends, `request` to the Slasher; a revert comes back as the
    /// contract's error.
    async fn send(
        &self,
        action: &'static str,
        request: TransactionRequest,
    ) -> Result<TransactionReceipt, WatchError> {
        let mut request = request.with_to(self.address);
        let input = request.input.input().cloned().unwrap_or_default();
        // ethereumjs reads only `data`, alloy writes only `input`: send both.
        request.input = TransactionInput::both(input);
        let provider = self.evidence.provider();
        if let Err(e) = provider.call(request.clone()).latest().await {
            let reason = e
                .as_error_resp()
                .and_then(|p| p.as_decoded_interface_error::<Slasher::SlasherErrors>())
                .map_or_else(|| e.to_string(), |err| format!("{err:?}"));
            return Err(WatchError::Refused { action, reason });
        }
        request.set_gas_limit(SLASHER_GAS);
        let receipt = baton_contracts::send_transaction(provider, request).await?;
        if !receipt.status() {
            return Err(WatchError::Reverted {
                action,
                tx: receipt.transaction_hash,
            });
        }
        Ok(receipt)
    }

    /// Opens a bonded dispute on an L1 inclusion promise; returns its digest.
    pub async fn open_dispute(&self, signed: &SignedCommitment) -> Result<B256, WatchError> {
        let (c, sig) = to_sol(signed)?;
        let bond = self.dispute_bond().await?;
        let request = self
            .contract()
            .openDispute(c.clone(), sig)
            .value(bond)
            .into_transaction_request();
        self.send("openDispute", request).await?;
        self.digest_of(signed).await
    }

    /// Slashes an operator whose dispute on `digest` went undefended; returns the amount.
    pub async fn resolve(&self, digest: B256) -> Result<TransactionReceipt, WatchError> {
        let request = self
            .contract()
            .resolveDispute(digest)
            .into_transaction_request();
        self.send("resolveDispute", request).await
    }

    /// Defends the dispute on `signed`: MPT proofs of every promised transaction in the
    /// slot's block, or, for a transaction that is not there, an account proof that its
    /// sender had used its nonce before the slot. `raw_txs` are the promised transactions
    /// (the operator has them; needed only for the nonce defence).
    pub async fn defend(
        &self,
        signed: &SignedCommitment,
        raw_txs: &[Bytes],
    ) -> Result<Defence, WatchError> {
        let commitment = &signed.commitment;
        if commitment.kind != CommitmentKind::Inclusion {
            return Err(WatchError::Undefendable {
                reason: "only inclusion promises are disputed".into(),
            });
        }
        let digest = self.digest_of(signed).await?;
        let time = self.slot_time(commitment.slot).await?;
        let block = match self.evidence.slot_block(time).await? {
            SlotBlock::Proposed(block) => block,
            SlotBlock::Missed { .. } | SlotBlock::Pending => {
                return Err(WatchError::Undefendable {
                    reason: format!("slot {} has no block", commitment.slot),
                });
            }
        };
        let header = self.evidence.header_rlp(block).await?;
        let missing = match self
            .evidence
            .inclusion_proofs(block, &commitment.tx_hashes)
            .await?
        {
            Ok(proofs) => {
                let inclusions = proofs
                    .into_iter()
                    .map(|p| ISlasher::TxInclusion {
                        index: U256::from(p.index),
                        proof: p.nodes,
                    })
                    .collect();
                let request = self
                    .contract()
                    .defendInclusion(digest, commitment.tx_hashes.clone(), header, inclusions)
                    .into_transaction_request();
                self.send("defendInclusion", request).await?;
                return Ok(Defence::Included { block });
            }
            Err(leg) => leg,
        };
        // Not in the block: was its nonce already used before the slot?
        let hash = commitment.tx_hashes[missing];
        // The operator's copy, in network form; the contract hashes the canonical form.
        let tx = raw_txs
            .iter()
            .filter_map(|raw| decode_l1_transaction(raw).ok())
            .find(|tx| tx.hash == hash)
            .ok_or_else(|| WatchError::Undefendable {
                reason: format!("promised transaction {hash} is not in block {block}"),
            })?;
        let parent = block
            .checked_sub(1)
            .ok_or(WatchError::NoBlock { number: None })?;
        let (nonce, proof) = self.evidence.account_proof(tx.sender, parent).await?;
        if nonce <= tx.nonce {
            return Err(WatchError::Undefendable {
                reason: format!(
                    "promised transaction {hash} is not in block {block} and its sender's nonce was {nonce} (the transaction's is {})",
                    tx.nonce
                ),
            });
        }
        let request = self
            .contract()
            .defendNonceSpent(
                digest,
                commitment.tx_hashes.clone(),
                U256::from(missing),
                tx.canonical.clone(),
                header,
                self.evidence.header_rlp(parent).await?,
                proof,
            )
            .into_transaction_request();
        self.send("defendNonceSpent", request).await?;
        Ok(Defence::NonceSpent {
            leg: missing,
            block,
        })
    }

    /// Slashes a promise for a slot that was missed (the liveness path), with the headers
    /// of the blocks before and after the slot's time.
    pub async fn slash_liveness(
        &self,
        signed: &SignedCommitment,
    ) -> Result<TransactionReceipt, WatchError> {
        let time = self.slot_time(signed.commitment.slot).await?;
        let SlotBlock::Missed { before, after } = self.evidence.slot_block(time).await? else {
            return Err(WatchError::NotBroken {
                reason: format!("slot {} was not missed", signed.commitment.slot),
            });
        };
        let (c, sig) = to_sol(signed)?;
        let request = self
            .contract()
            .slashLiveness(
                c,
                sig,
                self.evidence.header_rlp(before).await?,
                self.evidence.header_rlp(after).await?,
            )
            .into_transaction_request();
        self.send("slashLiveness", request).await
    }

    /// Slashes two sequencing promises that give one (rollup, slot, position) to two
    /// transactions: leg `leg_a` of `a` and `leg_b` of `b`.
    pub async fn slash_equivocation(
        &self,
        (a, leg_a): (&SignedCommitment, usize),
        (b, leg_b): (&SignedCommitment, usize),
    ) -> Result<TransactionReceipt, WatchError> {
        let (ca, sa) = to_sol(a)?;
        let (cb, sb) = to_sol(b)?;
        let request = self
            .contract()
            .slashEquivocation(ca, sa, U256::from(leg_a), cb, sb, U256::from(leg_b))
            .into_transaction_request();
        self.send("slashEquivocation", request).await
    }

    /// Slashes leg `leg` of a sequencing promise against the batch the inbox recorded:
    /// `batch` is the batch's transaction hashes in order (from the inbox's event), or
    /// `None` when no batch was recorded for a slot whose block exists.
    pub async fn slash_sequencing(
        &self,
        signed: &SignedCommitment,
        leg: usize,
        batch: Option<&[B256]>,
    ) -> Result<TransactionReceipt, WatchError> {
        let (c, sig) = to_sol(signed)?;
        let Some(hashes) = batch else {
            let time = self.slot_time(signed.commitment.slot).await?;
            let SlotBlock::Proposed(block) = self.evidence.slot_block(time).await? else {
                return Err(WatchError::NotBroken {
                    reason: "the slot has no block: a liveness fault".into(),
                });
            };
            let request = self
                .contract()
                .slashMissingBatch(
                    c,
                    sig,
                    U256::from(leg),
                    self.evidence.header_rlp(block).await?,
                )
                .into_transaction_request();
            return self.send("slashMissingBatch", request).await;
        };
        let placement = signed
            .commitment
            .placements
            .get(leg)
            .ok_or(WatchError::NotBroken {
                reason: format!("no leg {leg}"),
            })?;
        let position = usize::try_from(placement.position.0).unwrap_or(usize::MAX);
        let (actual, siblings) = match hashes.get(position) {
            Some(actual) => {
                let tree = BatchTree::new(hashes).map_err(|e| WatchError::Proof {
                    reason: e.to_string(),
                })?;
                let proof = tree.prove(Position(placement.position.0)).ok_or_else(|| {
                    WatchError::Proof {
                        reason: format!("no proof for position {position}"),
                    }
                })?;
                (*actual, proof.siblings)
            }
            None => (B256::ZERO, Vec::new()),
        };
        let request = self
            .contract()
            .slashSequencing(c, sig, U256::from(leg), actual, siblings)
            .into_transaction_request();
        self.send("slashSequencing", request).await
    }
}

/// The Slasher's error names, for reports (`SolInterface` decoding of revert data).
pub fn decode_error(data: &[u8]) -> Option<String> {
    Slasher::SlasherErrors::abi_decode(data)
        .ok()
        .map(|e| format!("{e:?}"))
}

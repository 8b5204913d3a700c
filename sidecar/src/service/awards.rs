//! The auction's close: [`clear`](baton_preconf::market::clear) over every receipt, the
//! clearing journaled (once) and only then signed, and each winner turned into ordinary
//! promises through the same record-before-sign path as any request: its rollup
//! transactions at the product's top positions, and its L1 payment for inclusion in the
//! same slot, so the winner pays if and only if its transactions land.

use std::{collections::BTreeSet, time::Duration};

use alloy_primitives::{B256, Bytes, U256};
use baton_preconf::{
    Commitment, CommitmentKind, RollupId, Slot,
    market::{Award, SignedBid},
    transaction::decode_l1_transaction,
};

use super::{Service, bids::plan_payment};
use crate::{
    journal::{JournalEntry, MarketRecord, Reservation},
    market::{AuctionBook, AwardFate, AwardPart, ClearingView, MarketConfig, award_request_id},
    metrics,
    rpc::RpcError,
};

/// Longest pause between two looks at the auctions.
const AUCTION_TICK: Duration = Duration::from_millis(100);
/// Reads of the head state retried when the head moves under an award.
const HEAD_RETRIES: usize = 3;

impl Service {
    /// Attaches the market: the products offered (`None`: no new auction opens) and the
    /// journal's auction records, replayed in order (receipts, `seq` counters and
    /// clearings exactly as they were; a clearing is checked against its receipts and
    /// never made twice).
    pub fn with_market(
        mut self,
        config: Option<MarketConfig>,
        records: Vec<MarketRecord>,
    ) -> Result<Self, RpcError> {
        let mut book = AuctionBook::default();
        let restore_err = |reason: String| {
            tracing::error!(%reason, "journal auction records cannot be restored");
            RpcError::Internal
        };
        for record in records {
            match record {
                MarketRecord::Bid(bid) => book
                    .add(bid.bid, bid.receipt)
                    .map_err(|e| restore_err(e.to_string()))?,
                MarketRecord::Clearing(clearing) => {
                    let slot = clearing.slot;
                    let again = book
                        .clear(slot, clearing.committer)
                        .ok_or_else(|| restore_err(format!("slot {slot} cleared twice")))?
                        .map_err(|e| restore_err(e.to_string()))?;
                    if again.clearing != clearing {
                        return Err(restore_err(format!(
                            "slot {slot}'s clearing does not follow from its receipts"
                        )));
                    }
                    book.install(clearing.clone());
                    let signed = clearing
                        .sign(&self.signer, &self.config.domain)
                        .map_err(|e| restore_err(e.to_string()))?;
                    book.signed(signed);
                }
            }
        }
        for slot in book.unsettled() {
            for (index, award, _) in book.pending_awards(slot) {
                if self.award_promised(award.bid_hash) {
                    book.set_fate(slot, index, AwardFate::Promised);
                }
            }
        }
        self.market = config;
        self.auctions = std::sync::Mutex::new(book);
        Ok(self)
    }

    fn award_promised(&self, bid_hash: B256) -> bool {
        [AwardPart::Sequencing, AwardPart::Payment]
            .into_iter()
            .all(|part| self.commitment(award_request_id(bid_hash, part)).is_some())
    }

    /// One look at the auctions: each one past its close is cleared, then its awards are
    /// promised. Returns how long to wait before the next look.
    pub async fn auction_tick(&self) -> Duration {
        let now = self.clock.now_ms();
        let current = self.config.chain.slot_at(now / 1000).unwrap_or_default();
        let mut slots: BTreeSet<Slot> = self
            .auctions
            .lock()
            .map(|b| b.unsettled().into_iter().collect())
            .unwrap_or_default();
        if self.market.is_some() {
            let last = Slot(current.0 + self.config.window_slots);
            slots.extend(
                self.duties
                    .owned_between(current, last)
                    .into_iter()
                    .map(|(s, _)| s),
            );
        }
        let mut pause = AUCTION_TICK;
        for slot in slots {
            if self.auctions.lock().is_ok_and(|b| b.is_settled(slot)) {
                continue;
            }
            let close = self.auction_close_ms(slot);
            if now < close {
                pause = pause.min(Duration::from_millis(close - now));
                continue;
            }
            if let Err(error) = self.clear_auction(slot).await {
                tracing::error!(%error, slot = slot.0, "clearing the auction failed");
                continue;
            }
            self.settle_auction(slot).await;
        }
        pause.max(Duration::from_millis(2))
    }

    /// Closes and clears `slot`'s auction: no receipt after this; the clearing is journaled
    /// under the book's lock (so it covers exactly the receipts journaled before it), then
    /// signed once durable. Clearing a cleared slot does nothing.
    pub async fn clear_auction(&self, slot: Slot) -> Result<(), RpcError> {
        let (pending, clearing) = {
            let mut book = self.auctions.lock().map_err(|_| RpcError::Internal)?;
            let Some(outcome) = book.clear(slot, self.signer.address()) else {
                return Ok(());
            };
            let outcome = outcome.map_err(|e| {
                tracing::error!(error = %e, slot = slot.0, "the receipts cannot be cleared");
                RpcError::Internal
            })?;
            let pending = self
                .journal
                .submit_market(&MarketRecord::Clearing(outcome.clearing.clone()))
                .map_err(|e| self.journal_failure(&e))?;
            book.install(outcome.clearing.clone());
            (pending, outcome.clearing)
        };
        pending
            .durable()
            .await
            .map_err(|e| self.journal_failure(&e))?;
        let signed = clearing
            .clone()
            .sign(&self.signer, &self.config.domain)
            .map_err(|e| {
                tracing::error!(error = %e, "signing a durable clearing failed");
                RpcError::Internal
            })?;
        metrics::record_clearing(&signed.clearing);
        tracing::info!(slot = slot.0, bids = clearing.bid_count, awards = clearing.awards.len(), root = %clearing.bids_root, "auction cleared");
        self.auctions
            .lock()
            .map_err(|_| RpcError::Internal)?
            .signed(signed);
        Ok(())
    }

    /// Makes the promises of `slot`'s pending awards; the slot is settled (ordinary
    /// requests for its rollups are taken again) once none is left to retry.
    pub async fn settle_auction(&self, slot: Slot) {
        let pending = match self.auctions.lock() {
            Ok(book) if book.is_published(slot) => book.pending_awards(slot),
            _ => return,
        };
        let deadline = self
            .config
            .chain
            .slot_timestamp(slot)
            .saturating_mul(1000)
            .saturating_sub(self.config.deadline_ms);
        let mut retry = false;
        for (index, award, bid) in pending {
            let fate = if self.clock.now_ms() >= deadline {
                tracing::warn!(slot = slot.0, bid = %award.bid_hash, "the slot closed before the award's promises were made");
                AwardFate::Failed
            } else {
                match self.promise_award(&bid, &award).await {
                    Ok(()) => AwardFate::Promised,
                    Err(RpcError::ExecutionUnavailable(_) | RpcError::L2Unavailable { .. }) => {
                        retry = true;
                        AwardFate::Pending
                    }
                    Err(error) => {
                        tracing::warn!(%error, slot = slot.0, bid = %award.bid_hash, "the award's promises cannot be made; it stands without them");
                        AwardFate::Failed
                    }
                }
            };
            if fate != AwardFate::Pending {
                metrics::record_award(fate == AwardFate::Promised, award.amount);
                tracing::info!(slot = slot.0, product = %award.product, winner = %bid.bid.bidder, amount = %award.amount, promised = fate == AwardFate::Promised, "award");
            }
            if let Ok(mut book) = self.auctions.lock() {
                book.set_fate(slot, index, fate);
            }
        }
        if !retry && let Ok(mut book) = self.auctions.lock() {
            book.settle(slot);
        }
    }

    /// The award's two promises, planned together under the ledger lock and journaled
    /// before they are signed: the winning transactions at positions `0..` of each of the
    /// product's rollups, and the payment's inclusion. The bidder is the wallet.
    async fn promise_award(&self, signed: &SignedBid, award: &Award) -> Result<(), RpcError> {
        if self.award_promised(award.bid_hash) {
            return Ok(());
        }
        let bid = &signed.bid;
        let slot = bid.slot;
        let payment = decode_l1_transaction(&signed.payment)
            .map_err(|e| RpcError::BadPayment(e.to_string()))?;
        let placements = bid.product.placements(&bid.tx_hashes);
        let txs: Vec<(RollupId, Bytes, B256)> = placements
            .iter()
            .zip(&signed.transactions)
            .map(|(p, raw)| (p.rollup_id, raw.clone(), p.tx_hash))
            .collect();
        let l2_items = self.check_rollup_txs(&txs)?;
        let l2_accounts = self.l2_accounts(&l2_items).await?;
        for _ in 0..HEAD_RETRIES {
            let (head, accounts) = self.payment_account(&payment).await?;
            let promised = self
                .promise_all(|ledger| {
                    if ledger.head() != Some(head.number) {
                        return Ok(None);
                    }
                    let positions = ledger.plan_sequencing(slot, &txs)?;
                    if positions
                        .iter()
                        .zip(&placements)
                        .any(|(got, want)| *got != want.position)
                    {
                        return Err(RpcError::AlreadyPromised(format!(
                            "the awarded positions of slot {slot} are already promised"
                        )));
                    }
                    ledger.plan_l2(&l2_items, &l2_accounts)?;
                    let gas = plan_payment(ledger, slot, &payment, &accounts)?;
                    let commitment = |kind, part, fee, tx_hashes, placements| Commitment {
                        kind,
                        slot,
                        validator_pubkey: bid.validator_pubkey,
                        committer: self.signer.address(),
                        request_id: award_request_id(award.bid_hash, part),
                        fee,
                        tx_hashes,
                        placements,
                    };
                    Ok(Some(vec![
                        JournalEntry {
                            commitment: commitment(
                                CommitmentKind::Sequencing,
                                AwardPart::Sequencing,
                                award.amount,
                                vec![],
                                placements.clone(),
                            ),
                            reservation: Reservation::sequencing(&txs, &positions, &l2_items),
                            wallet: bid.bidder,
                        },
                        JournalEntry {
                            commitment: commitment(
                                CommitmentKind::Inclusion,
                                AwardPart::Payment,
                                U256::ZERO,
                                vec![payment.hash],
                                vec![],
                            ),
                            reservation: Reservation::Inclusion {
                                txs: vec![payment.raw.clone()],
                                gas,
                                blobs: 0,
                                senders: vec![(payment.sender, payment.nonce, payment.max_cost())],
                            },
                            wallet: bid.bidder,
                        },
                    ]))
                })
                .await?;
            if promised.is_some() {
                return Ok(());
            }
        }
        Err(RpcError::ExecutionUnavailable(
            "the L1 head kept moving while the award was promised".into(),
        ))
    }

    /// `baton_getClearing`: the slot's signed clearing with every leaf and each award's
    /// receipt, product and promises (`clearing: null` while the auction is open).
    pub fn clearing_publication(&self, slot: Slot) -> Result<ClearingView, RpcError> {
        let book = self.auctions.lock().map_err(|_| RpcError::Internal)?;
        if !book.knows(slot) && (self.market.is_none() || self.duties.proposer(slot).is_none()) {
            return Err(RpcError::AuctionNotFound(slot.0));
        }
        Ok(book.publication(
            slot,
            |receipt| self.sign_receipt(receipt).ok(),
            |bid_hash| {
                [AwardPart::Sequencing, AwardPart::Payment]
                    .into_iter()
                    .filter_map(|part| self.commitment(award_request_id(bid_hash, part)))
                    .collect()
            },
        ))
    }
}

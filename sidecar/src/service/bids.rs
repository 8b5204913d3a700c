//! `baton_submitBid`: a sealed bid checked (the auction, the bid itself, its rollup
//! transactions against L2 state, its payment against L1 state), journaled, and only then
//! receipted (`docs/marketplace.md`, "Checks on arrival").

use std::collections::HashMap;

use alloy_primitives::{Address, B256};
use baton_preconf::{
    BlsPublicKey, RollupId, Slot,
    market::{BidContext, BidReceipt, ProductId, SignedBid, SignedReceipt, ValidBid},
    transaction::L1Transaction,
};

use super::Service;
use crate::{
    execution::{Code, Head},
    journal::{BidRecord, MarketRecord},
    ledger::{AccountState, L1Item, L2Item, Ledger, LedgerError},
    market::{BookError, MarketConfig, OfferedProduct},
    metrics,
    rpc::RpcError,
};

impl Service {
    /// `baton_submitBid`: receipts a valid bid for a product offered in one of our slots.
    pub async fn submit_bid(&self, bid: SignedBid) -> Result<SignedReceipt, RpcError> {
        let result = self.submit_bid_inner(bid).await;
        match &result {
            Ok(_) => metrics::record_market_bid(None),
            Err(e) => {
                metrics::record_error(e);
                metrics::record_market_bid(Some(e));
            }
        }
        result
    }

    async fn submit_bid_inner(&self, signed: SignedBid) -> Result<SignedReceipt, RpcError> {
        if !self.healthy() {
            return Err(RpcError::JournalUnavailable);
        }
        let market = self.market.as_ref().ok_or_else(|| {
            RpcError::ProductNotOffered("this sidecar runs no auctions".to_owned())
        })?;
        let slot = signed.bid.slot;
        let (validator, close_at) = self.auction_slot(slot)?;
        let offered = {
            let ledger = self.ledger.lock().map_err(|_| RpcError::Internal)?;
            offered_product(market, &ledger, slot, signed.bid.product.id())?.clone()
        };
        let ctx = BidContext {
            slot,
            validator_pubkey: validator,
            fee_recipient: market.fee_recipient,
            l1_chain_id: self.config.domain.chain_id,
            reserve: offered.reserve,
        };
        let valid = signed.validate(&self.config.domain, &ctx)?;
        let bidder = valid.bid().bidder;
        if !self.wallet_limiter.allow(bidder, self.clock.now_ms()) {
            return Err(RpcError::RateLimited(format!(
                "too many requests from bidder {bidder}"
            )));
        }
        let l2_items = self.bid_rollup_txs(&valid)?;
        let l2_accounts = self.l2_accounts(&l2_items).await?;
        let (head, account) = self.payment_account(valid.payment()).await?;
        check_payment_fee(slot, &head, valid.payment())?;
        {
            let ledger = self.ledger.lock().map_err(|_| RpcError::Internal)?;
            ledger.plan_l2(&l2_items, &l2_accounts)?;
            plan_payment(&ledger, slot, valid.payment(), &account)?;
        }
        self.receipt(valid, close_at).await
    }

    /// The slot's proposer and its auction's close (Unix ms), if the auction still takes
    /// bids: the slot is ours, in the window, and before its close.
    pub(crate) fn auction_slot(&self, slot: Slot) -> Result<(BlsPublicKey, u64), RpcError> {
        let now_ms = self.clock.now_ms();
        let validator = self
            .duties
            .proposer(slot)
            .ok_or(RpcError::SlotNotOurs(slot.0))?;
        let current = self.config.chain.slot_at(now_ms / 1000).unwrap_or_default();
        let last = current.0 + self.config.window_slots;
        if slot.0 > last {
            return Err(RpcError::OutOfWindow { slot: slot.0, last });
        }
        let close_at = self.auction_close_ms(slot);
        if now_ms >= close_at {
            return Err(RpcError::AuctionClosed {
                slot: slot.0,
                late_ms: now_ms - close_at,
            });
        }
        Ok((validator, close_at))
    }

    /// When `slot`'s auction closes (Unix ms): `--market.close-ms` before its promise
    /// deadline.
    pub(crate) fn auction_close_ms(&self, slot: Slot) -> u64 {
        let close_ms = self.market.as_ref().map_or(0, |m| m.close_ms);
        self.config
            .chain
            .slot_timestamp(slot)
            .saturating_mul(1000)
            .saturating_sub(self.config.deadline_ms)
            .saturating_sub(close_ms)
    }

    /// Each rollup transaction is a canonical transaction of its rollup's L2 chain; returns
    /// the ones to check against an L2 RPC.
    pub(crate) fn bid_rollup_txs(&self, valid: &ValidBid) -> Result<Vec<L2Item>, RpcError> {
        let bid = valid.bid();
        let placements = bid.product.placements(&bid.tx_hashes);
        let mut items = Vec::new();
        for (index, (placement, raw)) in placements
            .iter()
            .zip(&valid.signed().transactions)
            .enumerate()
        {
            let tx = self.check_rollup_tx(index, placement.rollup_id, raw, placement.tx_hash)?;
            if self.l2.contains_key(&placement.rollup_id) {
                items.push(L2Item {
                    rollup_id: placement.rollup_id,
                    sender: tx.sender,
                    nonce: tx.nonce,
                    max_cost: tx.max_cost(),
                });
            }
        }
        Ok(items)
    }

    /// The payment sender's state at the head; it must have no code.
    pub(crate) async fn payment_account(
        &self,
        payment: &L1Transaction,
    ) -> Result<(Head, HashMap<Address, AccountState>), RpcError> {
        let (head, accounts) = self
            .execution
            .accounts(&[payment.sender])
            .await
            .map_err(|e| RpcError::ExecutionUnavailable(e.to_string()))?;
        let mut states = HashMap::with_capacity(1);
        for (address, account) in accounts {
            match account.code {
                Code::None => {}
                Code::Delegated(delegate) => {
                    return Err(RpcError::SenderDelegated {
                        sender: address.to_string(),
                        delegate: delegate.to_string(),
                    });
                }
                Code::Contract => return Err(RpcError::SenderHasCode(address.to_string())),
            }
            states.insert(
                address,
                AccountState {
                    nonce: account.nonce,
                    balance: account.balance,
                },
            );
        }
        Ok((head, states))
    }

    /// Journals the receipt under the book's lock (so `seq` follows journal order), then
    /// signs it once durable.
    async fn receipt(&self, valid: ValidBid, close_at: u64) -> Result<SignedReceipt, RpcError> {
        let slot = valid.bid().slot;
        let (pending, receipt) = {
            let mut book = self.auctions.lock().map_err(|_| RpcError::Internal)?;
            let now_ms = self.clock.now_ms();
            if now_ms >= close_at {
                return Err(RpcError::AuctionClosed {
                    slot: slot.0,
                    late_ms: now_ms - close_at,
                });
            }
            let seq = book.next_seq(slot).map_err(|e| book_error(&e))?;
            let receipt = valid.receipt(seq, now_ms, self.signer.address());
            let record = MarketRecord::Bid(Box::new(BidRecord {
                bid: valid.signed().clone(),
                receipt,
            }));
            let pending = self
                .journal
                .submit_market(&record)
                .map_err(|e| self.journal_failure(&e))?;
            book.add(valid.into_signed(), receipt)
                .map_err(|e| book_error(&e))?;
            (pending, receipt)
        };
        pending
            .durable()
            .await
            .map_err(|e| self.journal_failure(&e))?;
        let receipt = self.sign_receipt(receipt)?;
        tracing::debug!(slot = slot.0, seq = receipt.receipt.seq, bid = %receipt.receipt.bid_hash, "bid receipted");
        Ok(receipt)
    }

    /// `baton_getReceipt`: the first receipt issued for `bid_hash`.
    pub fn bid_receipt(&self, bid_hash: B256) -> Result<SignedReceipt, RpcError> {
        let receipt = self
            .auctions
            .lock()
            .map_err(|_| RpcError::Internal)?
            .receipt(bid_hash)
            .ok_or_else(|| RpcError::ReceiptNotFound(bid_hash.to_string()))?;
        self.sign_receipt(receipt)
    }

    /// Signs a durable receipt (deterministic: the same bytes every time).
    pub(crate) fn sign_receipt(&self, receipt: BidReceipt) -> Result<SignedReceipt, RpcError> {
        receipt
            .sign(&self.signer, &self.config.domain)
            .map_err(|e| {
                tracing::error!(error = %e, "signing a receipt failed");
                RpcError::Internal
            })
    }

    /// Rule 2 of the marketplace: while `slot`'s auction is not settled, ordinary sequencing
    /// in a rollup it auctions is refused; after it, a rollup sold whole stays closed.
    /// Called under the ledger lock.
    pub(crate) fn check_not_auctioned(
        &self,
        ledger: &Ledger,
        slot: Slot,
        rollups: impl Iterator<Item = RollupId>,
    ) -> Result<(), RpcError> {
        let book = self.auctions.lock().map_err(|_| RpcError::Internal)?;
        let settled = book.is_settled(slot);
        let offered: Vec<&OfferedProduct> = match (&self.market, settled) {
            (Some(market), false) => offered_products(market, ledger, slot).collect(),
            _ => Vec::new(),
        };
        for rollup in rollups {
            if settled {
                if book.sold_whole(slot, rollup) {
                    return Err(RpcError::BatchSold {
                        rollup_id: rollup.0,
                        slot: slot.0,
                    });
                }
                continue;
            }
            if book.holds(slot, rollup)
                || offered
                    .iter()
                    .any(|p| p.product.rollups().contains(&rollup))
            {
                return Err(RpcError::UnderAuction {
                    rollup_id: rollup.0,
                    slot: slot.0,
                    until_ms: self.auction_close_ms(slot),
                });
            }
        }
        Ok(())
    }
}

/// The configured products offered in `slot`: those whose rollups have no positions
/// promised there yet (only a journal from before the products were configured has any).
pub(crate) fn offered_products<'a>(
    market: &'a MarketConfig,
    ledger: &'a Ledger,
    slot: Slot,
) -> impl Iterator<Item = &'a OfferedProduct> + 'a {
    market.products.iter().filter(move |p| {
        p.product
            .rollups()
            .iter()
            .all(|r| ledger.batch_usage(slot, *r).0 == 0)
    })
}

fn offered_product<'a>(
    market: &'a MarketConfig,
    ledger: &Ledger,
    slot: Slot,
    id: ProductId,
) -> Result<&'a OfferedProduct, RpcError> {
    let product = market
        .product(id)
        .ok_or_else(|| RpcError::ProductNotOffered(format!("product {id} is not offered")))?;
    if product
        .product
        .rollups()
        .iter()
        .any(|r| ledger.batch_usage(slot, *r).0 > 0)
    {
        return Err(RpcError::ProductNotOffered(format!(
            "product {id} is not offered in slot {slot}: its positions are already promised"
        )));
    }
    Ok(product)
}

/// The payment's max fee covers the slot's worst-case base fee.
fn check_payment_fee(slot: Slot, head: &Head, payment: &L1Transaction) -> Result<(), RpcError> {
    let base_fee = head.max_base_fee_at(slot);
    if payment.max_fee_per_gas < base_fee {
        return Err(RpcError::PaymentFeeTooLow(format!(
            "max fee per gas {} is below slot {}'s worst-case base fee {base_fee}",
            payment.max_fee_per_gas, slot.0
        )));
    }
    Ok(())
}

/// The payment fits the slot's gas, and its nonce and the bidder's balance fit every
/// pending promise (nothing is reserved).
pub(crate) fn plan_payment(
    ledger: &Ledger,
    slot: Slot,
    payment: &L1Transaction,
    accounts: &HashMap<Address, AccountState>,
) -> Result<u64, RpcError> {
    let item = L1Item {
        sender: payment.sender,
        nonce: payment.nonce,
        gas: payment.gas_limit,
        blobs: 0,
        max_cost: payment.max_cost(),
    };
    ledger
        .plan_inclusion(slot, &[item], accounts)
        .map_err(|e| match e {
            LedgerError::NonceMismatch { .. } => RpcError::PaymentNonce(e.to_string()),
            LedgerError::InsufficientBalance { .. } => RpcError::PaymentBalance(e.to_string()),
            LedgerError::Sealed { slot } => RpcError::AuctionClosed {
                slot: slot.0,
                late_ms: 0,
            },
            other => other.into(),
        })
}

fn book_error(e: &BookError) -> RpcError {
    match e {
        BookError::Closed { slot } => RpcError::AuctionClosed {
            slot: slot.0,
            late_ms: 0,
        },
        BookError::Full { slot } => RpcError::AuctionFull(slot.0),
        BookError::Replay { .. } => {
            tracing::error!(error = %e, "auction book out of order");
            RpcError::Internal
        }
    }
}

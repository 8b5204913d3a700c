//! Execution-layer state for L1 inclusion promises (step ②): the L1 head, the worst-case
//! base fee and blob base fee of each upcoming slot, and the nonce, balance and code of the
//! accounts wallets ask about.
//!
//! Accounts are read at the head block and cached until the head moves; the follower
//! ([`follow_head`]) polls the execution client and, on every new head, swaps the head,
//! drops the cache and tells the ledger which slots have now landed. A request that read
//! its accounts at one head and finds the ledger at another retries, so balances are never
//! counted against the wrong set of pending promises.

use std::{
    collections::HashMap,
    sync::{Mutex, RwLock},
    time::Duration,
};

use alloy::{
    eips::{BlockId, BlockNumberOrTag, eip1559::BaseFeeParams, eip7840::BlobParams},
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
};
use baton_preconf::{ChainSpec, Slot};

/// Blob gas per blob (EIP-4844).
const GAS_PER_BLOB: u64 = 131_072;

/// EIP-7702 delegation designator prefix: an account whose code is `0xef0100 ‖ address`.
const DELEGATION_PREFIX: [u8; 3] = [0xef, 0x01, 0x00];

/// Most blocks a projection looks ahead (the lookahead window is far shorter).
pub const MAX_PROJECTION_BLOCKS: u64 = 256;

/// Reading the execution client failed.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The RPC URL does not parse.
    #[error("bad execution RPC URL {url}")]
    BadUrl {
        /// The URL.
        url: String,
    },
    /// A call failed.
    #[error("execution client: {0}")]
    Rpc(String),
    /// No head has been read yet.
    #[error("no execution head yet")]
    NoHead,
    /// The head block lacks a London or Cancun field.
    #[error("head block {number} has no {field}: the execution client must run Prague")]
    PreFork {
        /// The block number.
        number: u64,
        /// The missing field.
        field: &'static str,
    },
}

/// The L1 head, as far as projections need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Block number.
    pub number: u64,
    /// Block hash.
    pub hash: B256,
    /// The slot the block was proposed in.
    pub slot: Slot,
    /// Base fee of the block after the head (exact, from the head's gas use).
    pub next_base_fee: u64,
    /// Excess blob gas of the block after the head (exact).
    pub next_excess_blob_gas: u64,
}

impl Head {
    /// Blocks from the head to the block of `slot`: at most one per slot.
    fn blocks_to(&self, slot: Slot) -> u64 {
        slot.0
            .saturating_sub(self.slot.0)
            .clamp(1, MAX_PROJECTION_BLOCKS)
    }

    /// The highest base fee the block of `slot` can have: every block in between full,
    /// each raising the base fee by an eighth (EIP-1559's largest step).
    pub fn max_base_fee_at(&self, slot: Slot) -> u128 {
        let mut fee = u128::from(self.next_base_fee);
        for _ in 1..self.blocks_to(slot) {
            fee = fee.saturating_add((fee / 8).max(1));
        }
        fee
    }

    /// The highest blob base fee the block of `slot` can have: every block in between
    /// carrying the maximum blob count.
    pub fn max_blob_base_fee_at(&self, slot: Slot, params: &BlobParams) -> u128 {
        let step = params
            .max_blob_count
            .saturating_sub(params.target_blob_count)
            .saturating_mul(GAS_PER_BLOB);
        let excess = self
            .next_excess_blob_gas
            .saturating_add(step.saturating_mul(self.blocks_to(slot) - 1));
        params.calc_blob_fee(excess)
    }
}

/// What an account's code means for promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// No code: only the account's own transactions move its nonce and balance.
    None,
    /// An EIP-7702 delegation to this address: any call into the account runs that code.
    Delegated(Address),
    /// A contract.
    Contract,
}

/// An account at the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Account {
    /// Nonce.
    pub nonce: u64,
    /// Balance.
    pub balance: U256,
    /// Its code.
    pub code: Code,
}

impl Code {
    /// Classifies raw account code.
    pub fn classify(code: &[u8]) -> Self {
        match code {
            [] => Self::None,
            [a, b, c, rest @ ..] if [*a, *b, *c] == DELEGATION_PREFIX && rest.len() == 20 => {
                Self::Delegated(Address::from_slice(rest))
            }
            _ => Self::Contract,
        }
    }
}

/// The execution client, its head and the account cache.
#[derive(Debug)]
pub struct ExecutionState {
    provider: DynProvider,
    chain: ChainSpec,
    blob_params: BlobParams,
    head: RwLock<Option<Head>>,
    accounts: Mutex<(u64, HashMap<Address, Account>)>,
}

impl ExecutionState {
    /// A client for the execution JSON-RPC at `url`; nothing is read until [`Self::refresh`].
    pub fn connect(url: &str, chain: ChainSpec) -> Result<Self, ExecError> {
        let parsed = url.parse().map_err(|_| ExecError::BadUrl {
            url: url.to_owned(),
        })?;
        let provider = ProviderBuilder::new().connect_http(parsed).erased();
        Ok(Self {
            provider,
            chain,
            blob_params: BlobParams::prague(),
            head: RwLock::new(None),
            accounts: Mutex::new((0, HashMap::new())),
        })
    }

    /// The blob parameters projections use (Prague).
    pub const fn blob_params(&self) -> &BlobParams {
        &self.blob_params
    }

    /// The current head, once one was read.
    pub fn head(&self) -> Option<Head> {
        self.head.read().ok().and_then(|h| *h)
    }

    /// Reads the latest block; returns it when it is a new head (the cache is dropped).
    pub async fn refresh(&self) -> Result<Option<Head>, ExecError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(|e| ExecError::Rpc(e.to_string()))?
            .ok_or_else(|| ExecError::Rpc("no latest block".into()))?;
        let header = &block.header.inner;
        let number = header.number;
        let next_base_fee = header
            .next_block_base_fee(BaseFeeParams::ethereum())
            .ok_or(ExecError::PreFork {
                number,
                field: "base fee",
            })?;
        let next_excess_blob_gas =
            header
                .next_block_excess_blob_gas(self.blob_params)
                .ok_or(ExecError::PreFork {
                    number,
                    field: "excess blob gas",
                })?;
        let head = Head {
            number,
            hash: block.header.hash,
            slot: self.chain.slot_at(header.timestamp).unwrap_or_default(),
            next_base_fee,
            next_excess_blob_gas,
        };
        let mut current = self.head.write().map_err(|_| ExecError::NoHead)?;
        if current.is_some_and(|c| c.hash == head.hash) {
            return Ok(None);
        }
        *current = Some(head);
        if let Ok(mut cache) = self.accounts.lock() {
            *cache = (number, HashMap::new());
        }
        Ok(Some(head))
    }

    /// The accounts of `addresses` at the current head (cached per head), with that head.
    pub async fn accounts(
        &self,
        addresses: &[Address],
    ) -> Result<(Head, HashMap<Address, Account>), ExecError> {
        let head = self.head().ok_or(ExecError::NoHead)?;
        let mut found = HashMap::with_capacity(addresses.len());
        let mut missing = Vec::new();
        if let Ok(cache) = self.accounts.lock() {
            for address in addresses {
                match cache.1.get(address) {
                    Some(account) if cache.0 == head.number => {
                        found.insert(*address, *account);
                    }
                    _ => missing.push(*address),
                }
            }
        }
        for address in missing {
            if found.contains_key(&address) {
                continue;
            }
            let account = self.read_account(address, head.number).await?;
            found.insert(address, account);
            if let Ok(mut cache) = self.accounts.lock()
                && cache.0 == head.number
            {
                cache.1.insert(address, account);
            }
        }
        Ok((head, found))
    }

    async fn read_account(&self, address: Address, block: u64) -> Result<Account, ExecError> {
        let at = BlockId::number(block);
        let ((nonce, balance), code) =
            tokio::try_join!(nonce_and_balance(&self.provider, address, at), async {
                self.provider
                    .get_code_at(address)
                    .block_id(at)
                    .await
                    .map_err(|e| ExecError::Rpc(e.to_string()))
            },)?;
        Ok(Account {
            nonce,
            balance,
            code: Code::classify(&code),
        })
    }
}

/// `address`'s nonce and balance at block `at`, read concurrently.
pub(crate) async fn nonce_and_balance(
    provider: &DynProvider,
    address: Address,
    at: BlockId,
) -> Result<(u64, U256), ExecError> {
    let rpc = |e: alloy::transports::TransportError| ExecError::Rpc(e.to_string());
    tokio::try_join!(
        async {
            provider
                .get_transaction_count(address)
                .block_id(at)
                .await
                .map_err(rpc)
        },
        async {
            provider
                .get_balance(address)
                .block_id(at)
                .await
                .map_err(rpc)
        },
    )
}

/// Reads the execution head every `interval`, or at once when `wake` is notified (a
/// beacon head event), and calls `on_head` with each new head.
pub async fn follow_head(
    state: std::sync::Arc<ExecutionState>,
    interval: Duration,
    wake: std::sync::Arc<tokio::sync::Notify>,
    on_head: impl Fn(Head) + Send + Sync,
) {
    let mut failures = 0u32;
    loop {
        match state.refresh().await {
            Ok(Some(head)) => {
                failures = 0;
                tracing::debug!(
                    number = head.number,
                    slot = head.slot.0,
                    "new execution head"
                );
                on_head(head);
            }
            Ok(None) => failures = 0,
            Err(e) => {
                failures += 1;
                // One line per outage, then one per minute-ish, not one per poll.
                if failures == 1 || failures.is_multiple_of(60) {
                    tracing::warn!(error = %e, failures, "reading the execution head failed");
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = wake.notified() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(slot: u64, base_fee: u64, excess: u64) -> Head {
        Head {
            number: slot,
            hash: B256::ZERO,
            slot: Slot(slot),
            next_base_fee: base_fee,
            next_excess_blob_gas: excess,
        }
    }

    #[test]
    fn base_fee_rises_an_eighth_per_block_at_worst() {
        let h = head(10, 1_000_000_000, 0);
        assert_eq!(
            h.max_base_fee_at(Slot(11)),
            1_000_000_000,
            "next block is exact"
        );
        assert_eq!(h.max_base_fee_at(Slot(12)), 1_125_000_000);
        assert_eq!(h.max_base_fee_at(Slot(13)), 1_265_625_000);
        // A slot at or before the head projects the next block.
        assert_eq!(h.max_base_fee_at(Slot(3)), 1_000_000_000);
        // Tiny fees still rise by at least one wei a block.
        assert_eq!(head(0, 7, 0).max_base_fee_at(Slot(3)), 9);
        // Far projections are bounded, not a long loop or an overflow.
        assert!(head(0, u64::MAX, 0).max_base_fee_at(Slot(u64::MAX)) > u128::from(u64::MAX));
    }

    #[test]
    fn blob_base_fee_projection_follows_eip_4844() {
        let params = BlobParams::prague();
        let h = head(10, 1, 0);
        assert_eq!(
            h.max_blob_base_fee_at(Slot(11), &params),
            1,
            "minimum blob fee"
        );
        // Each further block adds (max - target) blobs of excess: 3 · 131072 for Prague.
        let two = params.calc_blob_fee(2 * 3 * GAS_PER_BLOB);
        assert_eq!(h.max_blob_base_fee_at(Slot(13), &params), two);
        let far = h.max_blob_base_fee_at(Slot(10 + 64), &params);
        assert!(far > two, "keeps rising");
    }

    #[test]
    fn code_is_classified() {
        assert_eq!(Code::classify(&[]), Code::None);
        let target = Address::repeat_byte(0x77);
        let mut designator = DELEGATION_PREFIX.to_vec();
        designator.extend_from_slice(target.as_slice());
        assert_eq!(Code::classify(&designator), Code::Delegated(target));
        assert_eq!(Code::classify(&designator[..22]), Code::Contract);
        assert_eq!(Code::classify(&[0x60, 0x00]), Code::Contract);
    }
}

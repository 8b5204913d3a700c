//! What a wallet reads from L1: who the Registry says may commit for a validator, the
//! head, transaction receipts, and rollup batches.

use alloy::{
    eips::BlockNumberOrTag,
    primitives::{Address, B256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::Filter,
    sol,
    sol_types::SolEvent,
};

use super::ClientError;
use crate::{BlsPublicKey, ChainSpec, RollupId, Slot};

sol! {
    #[sol(rpc)]
    interface IRegistryView {
        function committerOf(bytes32 pubkeyHash) external view returns (address);
    }

    #[sol(rpc)]
    interface IRollupInboxView {
        struct Batch {
            bytes32 root;
            uint64 count;
            uint64 blockNumber;
        }
        event BatchSubmitted(
            uint64 indexed rollupId,
            uint64 indexed slot,
            address indexed submitter,
            bytes32 root,
            bytes[] txs
        );
        function batchOf(uint64 rollupId, uint64 slot, address submitter)
            external view returns (Batch memory);
    }
}

/// Most transactions read back from one batch event.
const MAX_BATCH_TXS: usize = 65_536;

/// Most blocks walked back from the head to find a slot's block.
const MAX_WALK_BACK: u64 = 64;

/// A read-only view of the L1 and Baton's contracts there.
#[derive(Debug, Clone)]
pub struct L1View {
    provider: DynProvider,
    registry: Address,
    inbox: Address,
    chain: ChainSpec,
}

impl L1View {
    /// Reads the L1 at `url`, with the `Registry` and `RollupInbox` at these addresses.
    pub fn connect(
        url: &str,
        registry: Address,
        inbox: Address,
        chain: ChainSpec,
    ) -> Result<Self, ClientError> {
        let parsed = url
            .parse()
            .map_err(|_| ClientError::BadUrl(url.to_owned()))?;
        Ok(Self {
            provider: ProviderBuilder::new().connect_http(parsed).erased(),
            registry,
            inbox,
            chain,
        })
    }

    /// The chain spec.
    pub const fn chain(&self) -> &ChainSpec {
        &self.chain
    }

    fn l1(e: impl std::fmt::Display) -> ClientError {
        ClientError::L1(e.to_string())
    }

    /// The committer the Registry names for `validator` (zero if none).
    pub async fn committer_of(&self, validator: &BlsPublicKey) -> Result<Address, ClientError> {
        IRegistryView::new(self.registry, &self.provider)
            .committerOf(validator.keccak())
            .call()
            .await
            .map_err(Self::l1)
    }

    /// The slot of the latest block.
    pub async fn head_slot(&self) -> Result<Slot, ClientError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(Self::l1)?
            .ok_or_else(|| ClientError::L1("no latest block".into()))?;
        Ok(self
            .chain
            .slot_at(block.header.timestamp)
            .unwrap_or_default())
    }

    /// The number and transaction hashes of `slot`'s block; `None` when the slot has no
    /// block (missed, or not yet). Walks back from the head, at most 64 blocks.
    pub async fn slot_block(&self, slot: Slot) -> Result<Option<(u64, Vec<B256>)>, ClientError> {
        let want = self.chain.slot_timestamp(slot);
        let mut tag = BlockNumberOrTag::Latest;
        for _ in 0..MAX_WALK_BACK {
            let block = self
                .provider
                .get_block_by_number(tag)
                .await
                .map_err(Self::l1)?
                .ok_or_else(|| ClientError::L1(format!("block {tag} vanished")))?;
            let (number, timestamp) = (block.header.number, block.header.timestamp);
            if timestamp == want {
                return Ok(Some((number, block.transactions.hashes().collect())));
            }
            if timestamp < want || number == 0 {
                return Ok(None);
            }
            tag = (number - 1).into();
        }
        Err(ClientError::L1(format!(
            "slot {}'s block is more than {MAX_WALK_BACK} blocks behind the head",
            slot.0
        )))
    }

    /// The block number and slot a transaction landed in, if it did.
    pub async fn landed(&self, tx: B256) -> Result<Option<(u64, Slot)>, ClientError> {
        let Some(receipt) = self
            .provider
            .get_transaction_receipt(tx)
            .await
            .map_err(Self::l1)?
        else {
            return Ok(None);
        };
        let Some(number) = receipt.block_number else {
            return Ok(None);
        };
        let block = self
            .provider
            .get_block_by_number(number.into())
            .await
            .map_err(Self::l1)?
            .ok_or_else(|| ClientError::L1(format!("block {number} vanished")))?;
        Ok(Some((
            number,
            self.chain
                .slot_at(block.header.timestamp)
                .unwrap_or_default(),
        )))
    }

    /// The transaction hashes of `submitter`'s batch for (`rollup`, `slot`), in order, and
    /// the block it landed in; `None` if there is none.
    pub async fn batch(
        &self,
        rollup: RollupId,
        slot: Slot,
        submitter: Address,
    ) -> Result<Option<(u64, Vec<B256>)>, ClientError> {
        let inbox = IRollupInboxView::new(self.inbox, &self.provider);
        let stored = inbox
            .batchOf(rollup.0, slot.0, submitter)
            .call()
            .await
            .map_err(Self::l1)?;
        if stored.root == B256::ZERO {
            return Ok(None);
        }
        let filter = Filter::new()
            .address(self.inbox)
            .event_signature(IRollupInboxView::BatchSubmitted::SIGNATURE_HASH)
            .topic1(B256::left_padding_from(&rollup.0.to_be_bytes()))
            .topic2(B256::left_padding_from(&slot.0.to_be_bytes()))
            .topic3(submitter.into_word())
            .from_block(stored.blockNumber)
            .to_block(stored.blockNumber);
        let logs = self.provider.get_logs(&filter).await.map_err(Self::l1)?;
        // Check the topics here too: some clients (ethereumjs 0.10) ignore topic filters
        // past the first and return every event of the block.
        let wanted = [
            IRollupInboxView::BatchSubmitted::SIGNATURE_HASH,
            B256::left_padding_from(&rollup.0.to_be_bytes()),
            B256::left_padding_from(&slot.0.to_be_bytes()),
            submitter.into_word(),
        ];
        let log = logs
            .iter()
            .find(|log| log.address() == self.inbox && log.topics() == wanted)
            .ok_or_else(|| ClientError::L1("the batch's event is missing".into()))?;
        let event =
            IRollupInboxView::BatchSubmitted::decode_log_data(log.data()).map_err(Self::l1)?;
        if event.txs.len() > MAX_BATCH_TXS {
            return Err(ClientError::L1("batch larger than the inbox allows".into()));
        }
        let hashes: Vec<B256> = event.txs.iter().map(alloy::primitives::keccak256).collect();
        let root = crate::batch_root(&hashes).map_err(Self::l1)?;
        if root != stored.root {
            return Err(ClientError::L1(
                "the batch event does not match the stored root".into(),
            ));
        }
        Ok(Some((stored.blockNumber, hashes)))
    }
}

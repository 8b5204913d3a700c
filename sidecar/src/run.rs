//! `baton-sidecar run`: replay the journal, follow the beacon node's proposer duties, and
//! serve the JSON-RPC API until shutdown (in-flight requests drain first).

use std::{collections::HashSet, future::Future, sync::Arc, time::Duration};

use baton_preconf::{BatonDomain, ChainSpec};

use crate::{
    beacon::{BeaconClient, BeaconError, follow_duties},
    config::JournalBackend,
    config::{BuilderConfig, Config, RollupSource},
    execution::{ExecError, ExecutionState, follow_head},
    head_events::follow_head_events,
    journal::{FileJournal, Journal, JournalError, Record, RedisJournal, SealRecord},
    l2::L2Client,
    ledger::Ledger,
    lookahead::{Duties, SlotClock, SystemClock},
    pbs::{EngineBuilder, PayloadBuilder, Pbs, PbsParts, RpcPool, TxPool},
    rollups::{InboxError, registered_rollups},
    rpc::{RpcError, serve},
    service::{Parts, Service, ServiceConfig},
};

/// Starting or running the sidecar failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The beacon node could not be read.
    #[error(transparent)]
    Beacon(#[from] BeaconError),
    /// The execution client could not be read.
    #[error(transparent)]
    Execution(#[from] ExecError),
    /// The rollups could not be read from the inbox.
    #[error(transparent)]
    Inbox(#[from] InboxError),
    /// The journal could not be opened or replayed.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The journal replayed, but a promise could not be restored.
    #[error("restoring promises from the journal failed: {0}")]
    Restore(RpcError),
    /// A market product names a rollup the inbox does not list.
    #[error("{0}")]
    Market(String),
    /// Block production is misconfigured (the Engine API's JWT secret).
    #[error("block production: {0}")]
    Builder(String),
    /// Binding or serving the RPC address failed.
    #[error("serving JSON-RPC on {addr}: {source}")]
    Serve {
        /// The address.
        addr: std::net::SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}

/// Runs the sidecar until `shutdown` resolves.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let mut shutdown = Box::pin(shutdown);
    let beacon = BeaconClient::new(&config.beacon_url);
    let mut chain = ChainSpec::devnet(config.chain_id, 0);
    beacon.chain_facts(&mut chain).await?;
    chain.seconds_per_slot = config.seconds_per_slot;
    chain.slots_per_epoch = config.slots_per_epoch;
    let domain = BatonDomain {
        chain_id: config.chain_id,
        verifying_contract: config.slasher,
    };

    let rollups: std::collections::HashMap<baton_preconf::RollupId, u64> = match &config.rollups {
        RollupSource::Fixed(ids) => ids.iter().copied().collect(),
        RollupSource::Inbox(inbox) => {
            let registered = registered_rollups(&config.l1_rpc, *inbox).await?;
            for rollup in &registered {
                tracing::info!(id = rollup.id.0, l2_chain_id = rollup.l2_chain_id, name = %rollup.name, "sequencing rollup");
            }
            registered
                .into_iter()
                .map(|r| (r.id, r.l2_chain_id))
                .collect()
        }
    };
    if let Some(market) = &config.market {
        for offered in &market.products {
            if let Some(r) = offered
                .product
                .rollups()
                .iter()
                .find(|r| !rollups.contains_key(r))
            {
                return Err(RunError::Market(format!(
                    "market product {} names rollup {r}, which this sidecar does not sequence",
                    offered.id
                )));
            }
        }
    }
    let execution = Arc::new(ExecutionState::connect(&config.l1_rpc, chain.clone())?);
    // The first head before serving: inclusion requests need it.
    if let Err(e) = execution.refresh().await {
        tracing::warn!(error = %e, url = %config.l1_rpc, "no L1 head yet; inclusion promises wait for one");
    }
    let (journal, records): (Journal, _) = match &config.journal {
        JournalBackend::File => {
            let (j, records) = FileJournal::open_all(&config.data_dir)?;
            (j.into(), records)
        }
        // A standby waits here until the signing lease is free (or until shutdown).
        JournalBackend::Redis(options) => {
            let opened = tokio::select! {
                opened = RedisJournal::open_all(options) => opened?,
                () = &mut shutdown => {
                    tracing::info!("stopped while standing by");
                    return Ok(());
                }
            };
            (opened.0.into(), opened.1)
        }
    };
    let (entries, seals, market_records) = Record::split_all(records);
    let duties = Arc::new(Duties::default());
    let clock: Arc<dyn SlotClock> = Arc::new(SystemClock);
    let service_config = ServiceConfig {
        chain: chain.clone(),
        domain,
        deadline_ms: config.deadline_ms,
        window_slots: config.window_slots,
        fee_per_rollup_tx: config.fee_per_rollup_tx,
        base_tip_wei: config.base_tip_wei,
        rate_per_ip: config.rate_per_ip,
        rate_per_wallet: config.rate_per_wallet,
    };
    let (service, restored) = Service::new(
        service_config,
        config.committer.0.clone(),
        Parts {
            journal: journal.clone(),
            entries,
            ledger: Ledger::new(config.limits),
            duties: duties.clone(),
            clock: clock.clone(),
            rollups,
            execution: execution.clone(),
            l2: config
                .l2_rpcs
                .iter()
                .map(|(id, url)| Ok((*id, L2Client::connect(url)?)))
                .collect::<Result<_, ExecError>>()?,
        },
    )
    .map_err(RunError::Restore)?;
    let auction_records = market_records.len();
    let service = service
        .with_market(config.market.clone(), market_records)
        .map_err(RunError::Restore)?;
    tracing::info!(
        commitments = restored.commitments,
        auction_records,
        products = config.market.as_ref().map_or(0, |m| m.products.len()),
        "journal replayed"
    );

    let service = Arc::new(service);
    if let Some(head) = execution.head() {
        service.on_head(head);
    }

    let block_production = match &config.builder {
        Some(builder) => Some(
            start_block_production(
                &config,
                builder,
                BlockProductionParts {
                    service: service.clone(),
                    execution: execution.clone(),
                    duties: duties.clone(),
                    clock: clock.clone(),
                    chain: chain.clone(),
                    seals,
                },
            )
            .await?,
        ),
        None => {
            tracing::warn!(
                "no --builder.addr: slots are not sealed, no constraints are sent and no builder API is served"
            );
            None
        }
    };

    let auctions = tokio::spawn(crate::market::run_auctions(service.clone()));
    let ours: HashSet<_> = config.validators.iter().copied().collect();
    let follower = tokio::spawn(follow_duties(beacon, chain, ours, duties, clock));
    let wake = Arc::new(tokio::sync::Notify::new());
    let head_events = tokio::spawn(follow_head_events(config.beacon_url.clone(), wake.clone()));
    let head_follower = {
        let service = service.clone();
        tokio::spawn(follow_head(
            execution,
            Duration::from_millis(config.head_poll_ms),
            wake,
            move |head| service.on_head(head),
        ))
    };

    let defender = match &config.defender {
        Some(key) => Some(tokio::spawn(crate::defender::defend_disputes(
            service.clone(),
            config.l1_rpc.clone(),
            config.slasher,
            key.0.clone(),
            Duration::from_millis(config.seconds_per_slot.saturating_mul(500).max(500)),
        ))),
        None => {
            tracing::warn!(
                "no --operator.key-file: disputes against this operator are not answered"
            );
            None
        }
    };

    let addr = config.rpc_addr;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| RunError::Serve { addr, source })?;
    tracing::info!(%addr, committer = %service.committer(), validators = config.validators.len(), "sidecar serving JSON-RPC");
    let result = serve(listener, service, shutdown)
        .await
        .map_err(|source| RunError::Serve { addr, source });
    follower.abort();
    auctions.abort();
    head_follower.abort();
    if let Some(defender) = defender {
        defender.abort();
    }
    head_events.abort();
    if let Some((pbs, server)) = block_production {
        server.abort();
        drop(pbs);
    }
    if let Journal::Redis(shared) = &journal
        && let Err(error) = shared.release().await
    {
        tracing::warn!(%error, "releasing the signing lease failed; a standby takes over after its TTL");
    }
    tracing::info!("sidecar stopped");
    result
}

/// What block production shares with the promise service.
struct BlockProductionParts {
    service: Arc<Service>,
    execution: Arc<ExecutionState>,
    duties: Arc<Duties>,
    clock: Arc<dyn SlotClock>,
    chain: ChainSpec,
    seals: Vec<SealRecord>,
}

/// Starts sealing, delegations and the fallback, and serves the builder API.
async fn start_block_production(
    config: &Config,
    builder: &BuilderConfig,
    parts: BlockProductionParts,
) -> Result<(Pbs, tokio::task::JoinHandle<()>), RunError> {
    let delegate = config
        .delegate
        .clone()
        .ok_or_else(|| RunError::Builder("the delegate key is required".to_owned()))?;
    let payload_builder: Option<Arc<dyn PayloadBuilder>> =
        match (&builder.engine_url, &builder.jwt_secret) {
            (Some(url), Some(path)) => {
                let jwt = baton_engine::JwtSecret::read(path).map_err(|e| {
                    RunError::Builder(format!("reading the JWT secret {}: {e}", path.display()))
                })?;
                Some(Arc::new(EngineBuilder::new(
                    baton_engine::EngineClient::new(url, jwt),
                )))
            }
            _ => None,
        };
    let inbox = match &config.rollups {
        RollupSource::Inbox(address) => Some(*address),
        RollupSource::Fixed(_) => None,
    };
    let pool: Arc<dyn TxPool> = Arc::new(RpcPool::new(&config.l1_rpc));
    let pbs = Pbs::start(PbsParts {
        service: parts.service,
        execution: parts.execution,
        duties: parts.duties,
        clock: parts.clock,
        chain: parts.chain,
        deadline_ms: config.deadline_ms,
        committer: config.committer.0.clone(),
        delegate,
        validator_keys: builder.validator_keys.0.clone(),
        inbox,
        batch_tip_wei: builder.batch_tip_wei,
        drop_promised_tx: builder.fault_drop_promised_tx,
        relays: builder.relays.clone(),
        timing: builder.timing,
        beacon_url: config.beacon_url.clone(),
        pool: Some(pool),
        builder: payload_builder,
        replayed: parts.seals,
    });
    let addr = builder.addr;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| RunError::Serve { addr, source })?;
    tracing::info!(%addr, relays = builder.relays.len(), fallback = builder.engine_url.is_some(), "serving the builder API");
    let producer = pbs.producer.clone();
    let server = tokio::spawn(async move {
        if let Err(error) = crate::pbs::serve(listener, producer, std::future::pending()).await {
            tracing::error!(%error, "the builder API stopped");
        }
    });
    Ok((pbs, server))
}

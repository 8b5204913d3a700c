//! The `sol!` bindings, generated from `abi/*.json`.

#![allow(missing_docs, unreachable_pub, clippy::too_many_arguments)] // generated code

alloy::sol!(
    /// Operators, their committers, collateral and validator keys.
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    Registry,
    "abi/Registry.json"
);

alloy::sol!(
    /// The rollup batch inbox: rollups register, sequencers post each slot's batch.
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    RollupInbox,
    "abi/RollupInbox.json"
);

alloy::sol!(
    /// Turns broken promises into slashed collateral.
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    Slasher,
    "abi/Slasher.json"
);

alloy::sol!(
    /// The marketplace's slashing paths (`IMarketSlasher`). Served at the Slasher's address:
    /// use `MarketDisputes::new(slasher_address, provider)`.
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    MarketDisputes,
    "abi/MarketDisputes.json"
);

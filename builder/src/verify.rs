//! Trusting constraints (step ⑤'s input): a relay streams `SignedConstraints`, but the
//! builder only acts on a message whose BLS signature verifies and whose signer is the
//! slot's proposer or a key the proposer delegated the slot to, in a delegation whose own
//! signature verifies. Each inclusion constraint is then decoded (bounded, signature
//! recovered, blobs checked) into a [`ConstrainedTx`].
//!
//! Only [`verify_constraints`] makes a [`VerifiedConstraints`], and only
//! [`verify_delegations`] yields the delegate keys it accepts.

use alloy_primitives::{B256, Bytes};
use baton_preconf::{
    BlsPublicKey, BlsSignature, Slot,
    constraints::{
        CONSTRAINT_TYPE_INCLUSION, MAX_CONSTRAINTS_PER_SLOT, SignedConstraints, SignedDelegation,
    },
    transaction::decode_l1_transaction,
};

/// Most delegations read for one slot (a proposer delegates to a handful of keys).
pub const MAX_DELEGATIONS_PER_SLOT: usize = 64;

/// A transaction a slot's block must include.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstrainedTx {
    /// keccak256 of the canonical encoding: the transaction hash.
    pub hash: B256,
    /// The bytes as constrained (network form; type 3 with its blobs): what the
    /// execution client's pool takes.
    pub raw: Bytes,
    /// The canonical EIP-2718 encoding (type 3 without blobs): what the block carries.
    pub canonical: Bytes,
}

/// A constraints message whose signature and signer were checked, with its
/// transactions decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedConstraints {
    /// The slot.
    pub slot: Slot,
    /// Who signed it (the proposer or its delegate).
    pub signer: BlsPublicKey,
    /// The signature (identifies the message when it is received twice).
    pub signature: BlsSignature,
    /// Its transactions, in order.
    pub txs: Vec<ConstrainedTx>,
}

/// Why a constraints message or a delegation is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Untrusted {
    /// The message names a proposer other than the slot's.
    #[error("slot {slot}: the message names proposer {got}, the slot's proposer is {expected}")]
    WrongProposer {
        /// The slot.
        slot: Slot,
        /// The slot's proposer (from the beacon node).
        expected: BlsPublicKey,
        /// The proposer named.
        got: BlsPublicKey,
    },
    /// A delegation for another slot than the one asked for.
    #[error("a delegation for slot {got} was served for slot {expected}")]
    WrongSlot {
        /// The slot asked for.
        expected: Slot,
        /// The delegation's slot.
        got: Slot,
    },
    /// The signer is neither the proposer nor one of its verified delegates.
    #[error("slot {slot}: signer {signer} holds no verified delegation from the proposer")]
    NotDelegated {
        /// The slot.
        slot: Slot,
        /// The signer.
        signer: BlsPublicKey,
    },
    /// The BLS signature does not verify (or a size bound is broken).
    #[error("the {what} signature does not verify")]
    Signature {
        /// `constraints` or `delegation`.
        what: &'static str,
    },
    /// No constraints, or more than a slot may hold.
    #[error("a message must carry 1 to {MAX_CONSTRAINTS_PER_SLOT} constraints, not {count}")]
    Count {
        /// Constraints carried.
        count: usize,
    },
    /// A constraint type the builder cannot satisfy.
    #[error(
        "constraint {position} has type {constraint_type}; only inclusion ({CONSTRAINT_TYPE_INCLUSION}) is supported"
    )]
    UnsupportedType {
        /// Its position in the message.
        position: usize,
        /// Its type.
        constraint_type: u64,
    },
    /// A constrained transaction does not decode or recover a sender.
    #[error("constraint {position}: {reason}")]
    BadTransaction {
        /// Its position in the message.
        position: usize,
        /// The decoder's reason.
        reason: String,
    },
}

impl Untrusted {
    /// A short, closed label for metrics.
    pub const fn label(&self) -> &'static str {
        match self {
            Self::WrongProposer { .. } | Self::WrongSlot { .. } => "wrong_proposer",
            Self::NotDelegated { .. } => "not_delegated",
            Self::Signature { .. } => "signature",
            Self::Count { .. } | Self::UnsupportedType { .. } | Self::BadTransaction { .. } => {
                "malformed"
            }
        }
    }
}

/// The delegate keys `proposer` verifiably delegated `slot` to, out of what a relay
/// served (at most [`MAX_DELEGATIONS_PER_SLOT`] are looked at). Returns the keys and what
/// was refused.
pub fn verify_delegations(
    delegations: &[SignedDelegation],
    slot: Slot,
    proposer: &BlsPublicKey,
    genesis_fork_version: [u8; 4],
) -> (Vec<BlsPublicKey>, Vec<Untrusted>) {
    let mut keys = Vec::new();
    let mut refused = Vec::new();
    for delegation in delegations.iter().take(MAX_DELEGATIONS_PER_SLOT) {
        let message = &delegation.message;
        let checked = if message.slot != slot {
            Err(Untrusted::WrongSlot {
                expected: slot,
                got: message.slot,
            })
        } else if message.proposer != *proposer {
            Err(Untrusted::WrongProposer {
                slot,
                expected: *proposer,
                got: message.proposer,
            })
        } else {
            delegation
                .verify(genesis_fork_version)
                .map_err(|_| Untrusted::Signature { what: "delegation" })
        };
        match checked {
            Ok(()) if !keys.contains(&message.delegate) => keys.push(message.delegate),
            Ok(()) => {}
            Err(reason) => refused.push(reason),
        }
    }
    (keys, refused)
}

/// Checks a constraints message for `proposer`'s slot: signer allowed (the proposer, or
/// in `delegates`, which must come from [`verify_delegations`]), signature valid, every
/// constraint an inclusion of a transaction that decodes.
pub fn verify_constraints(
    signed: &SignedConstraints,
    proposer: &BlsPublicKey,
    delegates: &[BlsPublicKey],
    genesis_fork_version: [u8; 4],
) -> Result<VerifiedConstraints, Untrusted> {
    let message = &signed.message;
    let slot = message.slot;
    if message.proposer != *proposer {
        return Err(Untrusted::WrongProposer {
            slot,
            expected: *proposer,
            got: message.proposer,
        });
    }
    if message.delegate != *proposer && !delegates.contains(&message.delegate) {
        return Err(Untrusted::NotDelegated {
            slot,
            signer: message.delegate,
        });
    }
    let count = message.constraints.len();
    if count == 0 || count > MAX_CONSTRAINTS_PER_SLOT {
        return Err(Untrusted::Count { count });
    }
    // The signature first: decoding blob transactions costs more than a pairing.
    signed
        .verify(genesis_fork_version)
        .map_err(|_| Untrusted::Signature {
            what: "constraints",
        })?;
    let txs = message
        .constraints
        .iter()
        .enumerate()
        .map(|(position, constraint)| {
            if constraint.constraint_type != CONSTRAINT_TYPE_INCLUSION {
                return Err(Untrusted::UnsupportedType {
                    position,
                    constraint_type: constraint.constraint_type,
                });
            }
            let tx = decode_l1_transaction(&constraint.payload).map_err(|e| {
                Untrusted::BadTransaction {
                    position,
                    reason: e.to_string(),
                }
            })?;
            Ok(ConstrainedTx {
                hash: tx.hash,
                raw: tx.raw,
                canonical: tx.canonical,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(VerifiedConstraints {
        slot,
        signer: message.delegate,
        signature: signed.signature,
        txs,
    })
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;

//! Checking what a builder hands the proposer: the signed bid against what the slot
//! asked for, and the revealed payload against the header the proposer signed.

use alloy_primitives::B256;
use baton_preconf::ssz::{
    ExecutionPayloadAndBlobsBundle, ExecutionPayloadHeader, KzgBytes,
    MAX_BLOB_COMMITMENTS_PER_BLOCK, SignedBuilderBidElectra, Withdrawal, hash_tree_root,
};
use ssz_rs::List;

use super::block::payload_header;

/// A bid or a revealed payload is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BidError {
    /// The builder's signature does not verify under the builder domain.
    #[error("the bid's signature does not verify under the builder domain")]
    Signature,
    /// A header field differs from what the slot asked for.
    #[error("the bid's {field} is {got}, expected {expected}")]
    Mismatch {
        /// The field.
        field: &'static str,
        /// What the slot asked for.
        expected: String,
        /// What the bid has.
        got: String,
    },
    /// The revealed payload is not the one the signed header commits to.
    #[error("the revealed payload does not match the signed header: {field}")]
    PayloadMismatch {
        /// The first field that differs.
        field: &'static str,
    },
    /// The payload could not be hashed.
    #[error("the revealed payload cannot be hashed: {reason}")]
    Unhashable {
        /// Why.
        reason: String,
    },
}

/// What the slot asked the builder for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expected {
    /// The parent execution block.
    pub parent_hash: B256,
    /// The parent's number.
    pub parent_number: u64,
    /// The parent's gas limit.
    pub parent_gas_limit: u64,
    /// The gas limit the validator registered.
    pub target_gas_limit: u64,
    /// The slot's timestamp.
    pub timestamp: u64,
    /// The RANDAO mix.
    pub prev_randao: B256,
    /// The withdrawals the payload must carry.
    pub withdrawals: Vec<Withdrawal>,
}

/// The gas limit a block on `parent` should have when the validator wants `target`:
/// a step of at most `parent / 1024 - 1` towards the target (builder-specs, geth).
pub fn expected_gas_limit(parent: u64, target: u64) -> u64 {
    let step = (parent / 1024).saturating_sub(1);
    if parent < target {
        parent.saturating_add(step).min(target)
    } else {
        parent.saturating_sub(step).max(target)
    }
}

fn mismatch(
    field: &'static str,
    expected: &dyn std::fmt::Display,
    got: &dyn std::fmt::Display,
) -> BidError {
    BidError::Mismatch {
        field,
        expected: expected.to_string(),
        got: got.to_string(),
    }
}

/// Checks a signed bid: signature under the builder domain, then every header field the
/// slot fixes. The gas limit must move from the parent's towards the registered target
/// by at most the protocol step (exactly the target step, or staying at the parent's,
/// which execution clients that ignore the target do).
pub(crate) fn check_bid(
    bid: &SignedBuilderBidElectra,
    expected: &Expected,
    genesis_fork_version: [u8; 4],
) -> Result<(), BidError> {
    bid.verify(genesis_fork_version)
        .map_err(|_| BidError::Signature)?;
    let header = &bid.message.header;
    if B256::from(header.parent_hash) != expected.parent_hash {
        return Err(mismatch(
            "parent_hash",
            &expected.parent_hash,
            &B256::from(header.parent_hash),
        ));
    }
    if header.block_number != expected.parent_number + 1 {
        return Err(mismatch(
            "block_number",
            &(expected.parent_number + 1),
            &header.block_number,
        ));
    }
    if header.timestamp != expected.timestamp {
        return Err(mismatch(
            "timestamp",
            &expected.timestamp,
            &header.timestamp,
        ));
    }
    if B256::from(header.prev_randao) != expected.prev_randao {
        return Err(mismatch(
            "prev_randao",
            &expected.prev_randao,
            &B256::from(header.prev_randao),
        ));
    }
    let withdrawals: List<Withdrawal, { baton_preconf::ssz::MAX_WITHDRAWALS_PER_PAYLOAD }> =
        List::try_from(expected.withdrawals.clone()).map_err(|_| BidError::Unhashable {
            reason: "too many withdrawals".to_owned(),
        })?;
    let root = hash_tree_root(&withdrawals).map_err(|e| BidError::Unhashable {
        reason: e.to_string(),
    })?;
    if B256::from(header.withdrawals_root) != root {
        return Err(mismatch(
            "withdrawals_root",
            &root,
            &B256::from(header.withdrawals_root),
        ));
    }
    let target = expected_gas_limit(expected.parent_gas_limit, expected.target_gas_limit);
    if header.gas_limit != target && header.gas_limit != expected.parent_gas_limit {
        return Err(mismatch("gas_limit", &target, &header.gas_limit));
    }
    if header.gas_used > header.gas_limit {
        return Err(mismatch("gas_used", &header.gas_limit, &header.gas_used));
    }
    Ok(())
}

/// Checks that a revealed payload is the one `header` commits to (every header field,
/// the transactions root and the block hash included) and carries the bid's blobs.
pub(crate) fn check_payload(
    header: &ExecutionPayloadHeader,
    commitments: &List<KzgBytes, MAX_BLOB_COMMITMENTS_PER_BLOCK>,
    answer: &ExecutionPayloadAndBlobsBundle,
) -> Result<(), BidError> {
    let payload = &answer.execution_payload;
    if payload.block_hash != header.block_hash {
        return Err(BidError::PayloadMismatch {
            field: "block_hash",
        });
    }
    let revealed = payload_header(payload).map_err(|e| BidError::Unhashable {
        reason: e.to_string(),
    })?;
    if revealed.transactions_root != header.transactions_root {
        return Err(BidError::PayloadMismatch {
            field: "transactions_root",
        });
    }
    if hash_tree_root(&revealed).ok() != hash_tree_root(header).ok() {
        return Err(BidError::PayloadMismatch { field: "header" });
    }
    if answer.blobs_bundle.commitments != *commitments {
        return Err(BidError::PayloadMismatch {
            field: "blob_kzg_commitments",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use baton_preconf::{
        BlsSecretKey,
        ssz::{BuilderBidElectra, ExecutionPayload, Transaction},
    };

    use super::*;

    const FORK: [u8; 4] = [0x10, 0, 0, 0x38];

    fn expected() -> Expected {
        Expected {
            parent_hash: B256::repeat_byte(1),
            parent_number: 7,
            parent_gas_limit: 30_000_000,
            target_gas_limit: 30_000_000,
            timestamp: 1_016,
            prev_randao: B256::repeat_byte(2),
            withdrawals: vec![],
        }
    }

    fn payload() -> ExecutionPayload {
        let mut payload = ExecutionPayload {
            parent_hash: [1; 32],
            block_number: 8,
            gas_limit: 30_000_000,
            gas_used: 21_000,
            timestamp: 1_016,
            prev_randao: [2; 32],
            block_hash: [8; 32],
            ..Default::default()
        };
        payload
            .transactions
            .push(Transaction::try_from(vec![2, 0xc0]).unwrap());
        payload
    }

    fn bid(key: &BlsSecretKey, header: ExecutionPayloadHeader) -> SignedBuilderBidElectra {
        BuilderBidElectra {
            header,
            pubkey: ssz_rs::Vector::try_from(key.public_key().0.to_vec()).unwrap(),
            ..Default::default()
        }
        .sign(key, FORK)
        .unwrap()
    }

    #[test]
    fn a_matching_bid_passes_and_each_wrong_field_is_named() {
        let key = BlsSecretKey::from_ikm(&[3; 32]).unwrap();
        let header = payload_header(&payload()).unwrap();
        check_bid(&bid(&key, header.clone()), &expected(), FORK).unwrap();
        assert_eq!(
            check_bid(&bid(&key, header.clone()), &expected(), [0; 4]),
            Err(BidError::Signature)
        );
        let mut tampered = bid(&key, header.clone());
        tampered.message.value = ssz_rs::U256::from(1u64);
        assert_eq!(
            check_bid(&tampered, &expected(), FORK),
            Err(BidError::Signature)
        );
        type Change = fn(&mut ExecutionPayloadHeader);
        let cases: [(&str, Change); 6] = [
            ("parent_hash", |h| h.parent_hash = [9; 32]),
            ("block_number", |h| h.block_number = 9),
            ("timestamp", |h| h.timestamp += 2),
            ("prev_randao", |h| h.prev_randao = [0; 32]),
            ("withdrawals_root", |h| h.withdrawals_root = [0; 32]),
            ("gas_limit", |h| h.gas_limit = 60_000_000),
        ];
        for (name, change) in cases {
            let mut wrong = header.clone();
            change(&mut wrong);
            match check_bid(&bid(&key, wrong), &expected(), FORK) {
                Err(BidError::Mismatch { field, .. }) => assert_eq!(field, name),
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn gas_limit_steps_towards_the_target() {
        assert_eq!(expected_gas_limit(30_000_000, 30_000_000), 30_000_000);
        assert_eq!(expected_gas_limit(10_000_000, 30_000_000), 10_009_764);
        assert_eq!(expected_gas_limit(36_000_000, 30_000_000), 35_964_845);
        let mut rising = expected();
        rising.parent_gas_limit = 10_000_000;
        let key = BlsSecretKey::from_ikm(&[3; 32]).unwrap();
        let mut header = payload_header(&payload()).unwrap();
        for (limit, ok) in [(10_009_764, true), (10_000_000, true), (10_009_765, false)] {
            header.gas_limit = limit;
            assert_eq!(
                check_bid(&bid(&key, header.clone()), &rising, FORK).is_ok(),
                ok,
                "{limit}"
            );
        }
    }

    #[test]
    fn the_payload_must_be_the_signed_one() {
        let header = payload_header(&payload()).unwrap();
        let answer = ExecutionPayloadAndBlobsBundle {
            execution_payload: payload(),
            blobs_bundle: Default::default(),
        };
        check_payload(&header, &List::default(), &answer).unwrap();
        let mut other = answer.clone();
        other.execution_payload.block_hash = [7; 32];
        assert_eq!(
            check_payload(&header, &List::default(), &other),
            Err(BidError::PayloadMismatch {
                field: "block_hash"
            })
        );
        let mut other = answer.clone();
        other.execution_payload.transactions[0] = Transaction::try_from(vec![2, 0xc1]).unwrap();
        assert_eq!(
            check_payload(&header, &List::default(), &other),
            Err(BidError::PayloadMismatch {
                field: "transactions_root"
            })
        );
        let mut other = answer.clone();
        other.execution_payload.gas_used += 1;
        assert_eq!(
            check_payload(&header, &List::default(), &other),
            Err(BidError::PayloadMismatch { field: "header" })
        );
        let mut commitments = List::default();
        commitments.push(KzgBytes::default());
        assert_eq!(
            check_payload(&header, &commitments, &answer),
            Err(BidError::PayloadMismatch {
                field: "blob_kzg_commitments"
            })
        );
    }
}

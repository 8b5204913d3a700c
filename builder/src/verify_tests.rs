use alloy_primitives::{Bytes, keccak256};
use baton_preconf::constraints::{Constraint, ConstraintsMessage};
use baton_relay::sim::{self, Proposer};

use super::*;

const SLOT: Slot = Slot(40);

struct Fixture {
    fork: [u8; 4],
    info: baton_relay::beacon::ChainInfo,
    proposer: Proposer,
    gateway: baton_preconf::BlsSecretKey,
    txs: Vec<Bytes>,
}

fn fixture() -> Fixture {
    let info = sim::chain_info(1_700_000_000);
    Fixture {
        fork: info.genesis_fork_version,
        proposer: Proposer {
            key: sim::bls_key(1),
            index: 3,
            fee_recipient: alloy_primitives::Address::repeat_byte(0xfe),
        },
        gateway: sim::bls_key(2),
        txs: sim::transactions(7, 0, 3),
        info,
    }
}

#[test]
fn delegated_constraints_are_trusted_and_decoded() {
    let f = fixture();
    let delegation = f.proposer.delegation(&f.info, SLOT, f.gateway.public_key());
    let (delegates, refused) = verify_delegations(
        &[delegation.clone(), delegation],
        SLOT,
        &f.proposer.pubkey(),
        f.fork,
    );
    assert_eq!(delegates, vec![f.gateway.public_key()], "one key, once");
    assert!(refused.is_empty());

    let signed = sim::constraints(&f.info, &f.gateway, f.proposer.pubkey(), SLOT, &f.txs);
    let verified = verify_constraints(&signed, &f.proposer.pubkey(), &delegates, f.fork).unwrap();
    assert_eq!(verified.slot, SLOT);
    assert_eq!(verified.signer, f.gateway.public_key());
    assert_eq!(verified.txs.len(), 3);
    for (tx, raw) in verified.txs.iter().zip(&f.txs) {
        assert_eq!(&tx.raw, raw);
        // EIP-1559 transactions: network and canonical forms are the same bytes.
        assert_eq!(&tx.canonical, raw);
        assert_eq!(tx.hash, keccak256(raw));
    }

    // The proposer may sign its own constraints without any delegation.
    let own = sim::constraints(&f.info, &f.proposer.key, f.proposer.pubkey(), SLOT, &f.txs);
    verify_constraints(&own, &f.proposer.pubkey(), &[], f.fork).unwrap();
}

#[test]
fn forged_constraints_are_ignored() {
    let f = fixture();
    let proposer = f.proposer.pubkey();
    let signed = sim::constraints(&f.info, &f.gateway, proposer, SLOT, &f.txs);

    // No delegation: the gateway is nobody.
    assert!(matches!(
        verify_constraints(&signed, &proposer, &[], f.fork),
        Err(Untrusted::NotDelegated { .. })
    ));

    // A "delegation" the gateway signed itself (not the proposer) is refused, so the
    // constraints stay untrusted.
    let mut forged = f.proposer.delegation(&f.info, SLOT, f.gateway.public_key());
    forged.signature = forged
        .message
        .clone()
        .sign(&f.gateway, f.fork)
        .unwrap()
        .signature;
    let (delegates, refused) = verify_delegations(&[forged], SLOT, &proposer, f.fork);
    assert!(delegates.is_empty());
    assert_eq!(refused, vec![Untrusted::Signature { what: "delegation" }]);

    // A real delegation, but for another slot or from another proposer.
    let other_slot = f
        .proposer
        .delegation(&f.info, Slot(41), f.gateway.public_key());
    let stranger = Proposer {
        key: sim::bls_key(9),
        index: 9,
        fee_recipient: f.proposer.fee_recipient,
    };
    let other_proposer = stranger.delegation(&f.info, SLOT, f.gateway.public_key());
    let (delegates, refused) =
        verify_delegations(&[other_slot, other_proposer], SLOT, &proposer, f.fork);
    assert!(delegates.is_empty());
    assert_eq!(refused.len(), 2);
    assert_eq!(refused[0].label(), "wrong_proposer");
    assert!(matches!(refused[1], Untrusted::WrongProposer { .. }));

    let gateway = [f.gateway.public_key()];
    // Tampered after signing: a transaction swapped.
    let mut tampered = signed.clone();
    tampered.message.constraints[0].payload = sim::transactions(8, 0, 1).remove(0);
    assert_eq!(
        verify_constraints(&tampered, &proposer, &gateway, f.fork),
        Err(Untrusted::Signature {
            what: "constraints"
        })
    );
    // Signed under another chain's fork version.
    assert!(matches!(
        verify_constraints(&signed, &proposer, &gateway, [0, 0, 0, 0]),
        Err(Untrusted::Signature { .. })
    ));
    // For another proposer.
    assert!(matches!(
        verify_constraints(&signed, &stranger.pubkey(), &gateway, f.fork),
        Err(Untrusted::WrongProposer { .. })
    ));
    // The untouched message still verifies with the delegate known.
    verify_constraints(&signed, &proposer, &gateway, f.fork).unwrap();
}

fn signed_with(f: &Fixture, constraints: Vec<Constraint>) -> SignedConstraints {
    ConstraintsMessage {
        proposer: f.proposer.pubkey(),
        delegate: f.proposer.pubkey(),
        slot: SLOT,
        constraints,
        receivers: vec![],
    }
    .sign(&f.proposer.key, f.fork)
    .unwrap()
}

#[test]
fn undecodable_or_unsupported_constraints_are_refused() {
    let f = fixture();
    let proposer = f.proposer.pubkey();
    let wrong_type = signed_with(
        &f,
        vec![Constraint {
            constraint_type: 2,
            payload: f.txs[0].clone(),
        }],
    );
    assert_eq!(
        verify_constraints(&wrong_type, &proposer, &[], f.fork),
        Err(Untrusted::UnsupportedType {
            position: 0,
            constraint_type: 2
        })
    );
    let garbage = signed_with(
        &f,
        vec![
            Constraint {
                constraint_type: CONSTRAINT_TYPE_INCLUSION,
                payload: f.txs[0].clone(),
            },
            Constraint {
                constraint_type: CONSTRAINT_TYPE_INCLUSION,
                payload: Bytes::from_static(&[0x02, 0xc0]),
            },
        ],
    );
    let err = verify_constraints(&garbage, &proposer, &[], f.fork).unwrap_err();
    assert!(
        matches!(err, Untrusted::BadTransaction { position: 1, .. }),
        "{err}"
    );
    assert_eq!(err.label(), "malformed");
    let empty = signed_with(&f, vec![]);
    assert_eq!(
        verify_constraints(&empty, &proposer, &[], f.fork),
        Err(Untrusted::Count { count: 0 })
    );
}

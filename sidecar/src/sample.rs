//! Signed sample transactions for the load generator, the devnet and tests. A wallet
//! library does this for real users; this is the smallest honest stand-in.

use alloy::{
    consensus::{EthereumTxEnvelope, SignableTransaction, TxEip1559, TxEip4844},
    eips::Encodable2718,
    primitives::{Address, Bytes, TxKind},
    signers::SignerSync,
};
use alloy_signer_local::PrivateKeySigner;

/// Fee caps of a sample transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fees {
    /// Gas limit.
    pub gas_limit: u64,
    /// Max fee per gas (wei).
    pub max_fee_per_gas: u128,
    /// Max priority fee per gas (wei).
    pub max_priority_fee_per_gas: u128,
}

impl Default for Fees {
    /// 100k gas at up to 100 gwei with a 2 gwei tip.
    fn default() -> Self {
        Self {
            gas_limit: 100_000,
            max_fee_per_gas: 100_000_000_000,
            max_priority_fee_per_gas: 2_000_000_000,
        }
    }
}

/// An EIP-1559 call from `signer` on `chain_id` with `nonce`, carrying `data` to a fixed
/// address, in EIP-2718 form.
pub fn call(
    signer: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    data: &[u8],
    fees: Fees,
) -> Bytes {
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: fees.gas_limit,
        max_fee_per_gas: fees.max_fee_per_gas,
        max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
        to: TxKind::Call(Address::repeat_byte(0x33)),
        input: Bytes::copy_from_slice(data),
        ..Default::default()
    };
    // Local keys sign synchronously and cannot fail on a 32-byte hash.
    #[allow(clippy::expect_used)]
    let signature = signer
        .sign_hash_sync(&tx.signature_hash())
        .expect("local signing of a hash");
    let envelope: EthereumTxEnvelope<TxEip4844> = tx.into_signed(signature).into();
    envelope.encoded_2718().into()
}

/// An EIP-1559 transfer of `value` wei from `signer` to `to` on `chain_id` with `nonce`
/// (a bid's payment, `docs/marketplace.md`), in EIP-2718 form.
pub fn transfer(
    signer: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    to: Address,
    value: alloy::primitives::U256,
    fees: Fees,
) -> Bytes {
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: fees.gas_limit,
        max_fee_per_gas: fees.max_fee_per_gas,
        max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
        to: TxKind::Call(to),
        value,
        ..Default::default()
    };
    // Local keys sign synchronously and cannot fail on a 32-byte hash.
    #[allow(clippy::expect_used)]
    let signature = signer
        .sign_hash_sync(&tx.signature_hash())
        .expect("local signing of a hash");
    let envelope: EthereumTxEnvelope<TxEip4844> = tx.into_signed(signature).into();
    envelope.encoded_2718().into()
}

/// A blob transaction from `signer` carrying `blobs` real blobs (KZG commitments and
/// proofs computed), in network form, paying up to `max_fee_per_blob_gas`.
pub fn blob_call(
    signer: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    blobs: usize,
    max_fee_per_blob_gas: u128,
) -> Result<Bytes, String> {
    use alloy::{
        consensus::TxEip4844WithSidecar,
        eips::{
            eip4844::builder::{SidecarBuilder, SimpleCoder},
            eip7594::BlobTransactionSidecarVariant,
        },
    };
    // Slightly under a blob's capacity per blob, varied by nonce so blobs differ.
    let data: Vec<u8> = (0..blobs * 120_000)
        .map(|i| (i as u8).wrapping_add(nonce as u8))
        .collect();
    let sidecar = SidecarBuilder::<SimpleCoder>::from_slice(&data)
        .build_4844()
        .map_err(|e| e.to_string())?;
    let fees = Fees::default();
    let tx = TxEip4844 {
        chain_id,
        nonce,
        gas_limit: fees.gas_limit,
        max_fee_per_gas: fees.max_fee_per_gas,
        max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
        to: Address::repeat_byte(0x33),
        blob_versioned_hashes: sidecar.versioned_hashes().collect(),
        max_fee_per_blob_gas,
        ..Default::default()
    };
    let with_sidecar = TxEip4844WithSidecar {
        tx,
        sidecar: BlobTransactionSidecarVariant::Eip4844(sidecar),
    };
    let signature = signer
        .sign_hash_sync(&with_sidecar.tx.signature_hash())
        .map_err(|e| e.to_string())?;
    let envelope: EthereumTxEnvelope<TxEip4844WithSidecar<BlobTransactionSidecarVariant>> =
        with_sidecar.into_signed(signature).into();
    Ok(envelope.encoded_2718().into())
}

#[cfg(test)]
mod tests {
    use baton_preconf::transaction::decode_l1_transaction;

    use super::*;

    #[test]
    fn samples_decode_as_signed() {
        let signer = PrivateKeySigner::random();
        let raw = call(&signer, 167_001, 4, b"hi", Fees::default());
        let tx = decode_l1_transaction(&raw).unwrap();
        assert_eq!(
            (tx.sender, tx.chain_id, tx.nonce),
            (signer.address(), Some(167_001), 4)
        );
    }

    #[test]
    fn transfers_carry_their_value() {
        let signer = PrivateKeySigner::random();
        let value = alloy::primitives::U256::from(7u64);
        let raw = transfer(
            &signer,
            1,
            0,
            Address::repeat_byte(9),
            value,
            Fees::default(),
        );
        let tx = decode_l1_transaction(&raw).unwrap();
        assert_eq!(
            (tx.sender, tx.value, tx.tx_type),
            (signer.address(), value, 2)
        );
    }
}

//! The shared ordering marketplace's protocol core (`docs/marketplace.md`): what is
//! auctioned per slot, sealed bids with their L1 payment, the committer's receipts, the
//! deterministic clearing with its bids root, and the evidence that makes an unfair
//! clearing slashable. No I/O: the sidecar runs the auction, the `Slasher` checks the
//! evidence.
//!
//! Data-flow steps: ① a bid arrives, ② [`SignedBid::validate`] checks it, ③ the committer
//! signs a [`BidReceipt`]; at the auction deadline [`clear`] picks the winners, which
//! become ordinary commitments (③) sealed with the slot (④); ⑧ [`dispute`] checks the
//! evidence of faults (a), (b) and (a').
//!
//! | file | what |
//! |---|---|
//! | `product` | [`Product`], [`ProductId`], conflicts, placements |
//! | `bid`, `payment` | [`Bid`], [`SignedBid`], [`ValidBid`]; the L1 payment's checks |
//! | `receipt` | [`BidReceipt`], [`SignedReceipt`] |
//! | `clearing`, `root` | [`clear`], [`Clearing`], [`Award`], [`BidsTree`] |
//! | `publication` | [`ClearingPublication`]: what a sidecar publishes per cleared slot, and its check |
//! | [`dispute`] | evidence checks mirroring the `Slasher` |
//! | [`typed`] | the EIP-712 `sol!` structs |

mod bid;
mod clearing;
pub mod dispute;
mod payment;
mod product;
mod publication;
mod receipt;
mod root;
pub mod typed;

#[cfg(test)]
mod tests;

pub use bid::{Bid, BidContext, BidError, SignedBid, ValidBid};
pub use clearing::{
    Award, Clearing, ClearingError, ClearingOutcome, MAX_BIDS_PER_SLOT, MAX_PRODUCTS_PER_SLOT,
    ReceiptedBid, SignedClearing, clear,
};
pub use payment::{PAYMENT_TX_TYPE, PaymentError, PaymentTerms, check_payment};
pub use product::{
    MAX_BID_TXS, MAX_BUNDLE_ROLLUPS, MIN_BUNDLE_ROLLUPS, Product, ProductError, ProductId,
};
pub use publication::{ClearingPublication, PublicationError, PublishedAward};
pub use receipt::{BidReceipt, ReceiptError, SignedReceipt};
pub use root::BidsTree;

//! The embedded journal: an append-only file with group commit.

use std::{
    fs::{File, OpenOptions},
    io::{self, BufReader, Read, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
    sync::mpsc,
    thread,
    time::Instant,
};

use tokio::sync::oneshot;

use super::{JournalEntry, JournalError, MarketRecord, PendingAppend, Record, SealRecord};

/// Largest record accepted (a bundle of 64 blob transactions stays far below).
const MAX_RECORD_BYTES: u32 = 64 * 1024 * 1024;
/// Records taken into one group commit at most.
const MAX_GROUP: usize = 4096;

type Ack = oneshot::Sender<Result<(), String>>;

/// An append-only journal file with group commit. Cheap to clone.
#[derive(Debug, Clone)]
pub struct FileJournal {
    tx: mpsc::Sender<(Vec<u8>, Ack)>,
    path: PathBuf,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> JournalError + '_ {
    move |source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl FileJournal {
    /// Opens (creating if needed) `dir/journal.log`, replays it, cuts a torn tail, and
    /// starts the writer thread. Returns the journal and every promise in append order
    /// ([`Self::open_all`] also returns the seals).
    pub fn open(dir: &Path) -> Result<(Self, Vec<JournalEntry>), JournalError> {
        let (journal, records) = Self::open_all(dir)?;
        Ok((journal, Record::split(records).0))
    }

    /// [`Self::open`], returning every record (promises and seals) in append order.
    pub fn open_all(dir: &Path) -> Result<(Self, Vec<Record>), JournalError> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let path = dir.join("journal.log");
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io_err(&path))?;
        let (entries, good_len) = replay(&mut file, &path)?;
        let len = file.metadata().map_err(io_err(&path))?.len();
        if good_len < len {
            tracing::warn!(path = %path.display(), good_len, len, "journal has a torn tail; cutting it off");
            file.set_len(good_len).map_err(io_err(&path))?;
            file.sync_all().map_err(io_err(&path))?;
        }
        if let Some(parent) = path.parent() {
            // Make the file's existence durable too.
            File::open(parent)
                .and_then(|d| d.sync_all())
                .map_err(io_err(parent))?;
        }
        let (tx, rx) = mpsc::channel::<(Vec<u8>, Ack)>();
        let writer_path = path.clone();
        thread::Builder::new()
            .name("baton-journal".into())
            .spawn(move || writer(file, &writer_path, &rx))
            .map_err(io_err(&path))?;
        Ok((Self { tx, path }, entries))
    }

    /// Queues `entry` for the next group commit, without waiting. Records reach the file
    /// in the order they are submitted: call this while holding the lock that ordered the
    /// reservation, then [`PendingAppend::durable`] after releasing it.
    pub fn submit(&self, entry: &JournalEntry) -> Result<PendingAppend, JournalError> {
        self.submit_bytes(&entry.encode()?)
    }

    /// Queues a seal record, like [`Self::submit`].
    pub fn submit_seal(&self, seal: &SealRecord) -> Result<PendingAppend, JournalError> {
        self.submit_bytes(&seal.encode()?)
    }

    /// Queues an auction record, like [`Self::submit`].
    pub fn submit_market(&self, record: &MarketRecord) -> Result<PendingAppend, JournalError> {
        self.submit_bytes(&record.encode()?)
    }

    fn submit_bytes(&self, payload: &[u8]) -> Result<PendingAppend, JournalError> {
        let (ack_tx, ack_rx) = oneshot::channel();
        self.tx
            .send((frame(payload), ack_tx))
            .map_err(|_| JournalError::Stopped)?;
        Ok(PendingAppend::new(
            ack_rx,
            format!("file {}", self.path.display()).into(),
        ))
    }

    /// Appends `entry` and returns once it is on disk (fdatasync'd).
    pub async fn append(&self, entry: &JournalEntry) -> Result<(), JournalError> {
        self.submit(entry)?.durable().await
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// `len (u32 LE) ‖ crc32(payload) (u32 LE) ‖ payload`.
fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + payload.len());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Reads every complete, valid record; returns them and the length of the valid prefix.
fn replay(file: &mut File, path: &Path) -> Result<(Vec<Record>, u64), JournalError> {
    file.seek(SeekFrom::Start(0)).map_err(io_err(path))?;
    let mut reader = BufReader::new(&mut *file);
    let mut entries = Vec::new();
    let mut good_len = 0u64;
    loop {
        let mut header = [0u8; 8];
        match reader.read_exact(&mut header) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(io_err(path)(e)),
        }
        let len = u32::from_le_bytes(header[..4].try_into().unwrap_or_default());
        let crc = u32::from_le_bytes(header[4..].try_into().unwrap_or_default());
        if len > MAX_RECORD_BYTES {
            break; // torn or garbage length: the tail is cut
        }
        let mut payload = vec![0u8; len as usize];
        match reader.read_exact(&mut payload) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(io_err(path)(e)),
        }
        if crc32fast::hash(&payload) != crc {
            break;
        }
        // A record that passed its checksum but does not decode is not a torn write: it is
        // a bug or tampering, and silently dropping promises is not an option.
        let entry = Record::decode(&payload).map_err(|e| JournalError::Corrupt {
            index: entries.len(),
            reason: e.to_string(),
        })?;
        entries.push(entry);
        good_len += 8 + u64::from(len);
    }
    Ok((entries, good_len))
}

fn writer(mut file: File, path: &Path, rx: &mpsc::Receiver<(Vec<u8>, Ack)>) {
    let mut batch: Vec<(Vec<u8>, Ack)> = Vec::new();
    while let Ok(first) = rx.recv() {
        batch.push(first);
        while batch.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(item) => batch.push(item),
                Err(_) => break,
            }
        }
        let started = Instant::now();
        let result = write_batch(&mut file, &batch);
        crate::metrics::record_journal_sync(batch.len(), started.elapsed());
        match result {
            Ok(()) => {
                for (_, ack) in batch.drain(..) {
                    let _ = ack.send(Ok(()));
                }
            }
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "journal write failed; refusing all further promises");
                for (_, ack) in batch.drain(..) {
                    let _ = ack.send(Err(e.to_string()));
                }
                // Stop: the file's tail is now unknown; the next open cuts it.
                return;
            }
        }
    }
}

fn write_batch(file: &mut File, batch: &[(Vec<u8>, Ack)]) -> io::Result<()> {
    let total: usize = batch.iter().map(|(bytes, _)| bytes.len()).sum();
    let mut buf = Vec::with_capacity(total);
    for (bytes, _) in batch {
        buf.extend_from_slice(bytes);
    }
    file.write_all(&buf)?;
    file.sync_data()
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, B256, Bytes, U256};
    use baton_preconf::{
        BlsPublicKey, Commitment, CommitmentKind, Placement, Position, RollupId, Slot,
    };

    use super::*;
    use crate::journal::Reservation;

    pub(crate) fn entry(i: u64) -> JournalEntry {
        let tx = Bytes::from(i.to_be_bytes().to_vec());
        JournalEntry {
            commitment: Commitment {
                kind: CommitmentKind::Sequencing,
                slot: Slot(10),
                validator_pubkey: BlsPublicKey([1; 48]),
                committer: Address::repeat_byte(2),
                request_id: B256::from(U256::from(i)),
                fee: U256::from(i),
                tx_hashes: vec![],
                placements: vec![Placement {
                    rollup_id: RollupId(1),
                    position: Position(i),
                    tx_hash: alloy_primitives::keccak256(&tx),
                }],
            },
            reservation: Reservation::Sequencing {
                placements: vec![(RollupId(1), Position(i), tx)],
                l2_senders: vec![],
            },
            wallet: Address::repeat_byte(3),
        }
    }

    fn tempdir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("baton-journal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[tokio::test]
    async fn appends_survive_reopen_in_order() {
        let dir = tempdir("reopen");
        let (journal, replayed) = FileJournal::open(&dir).unwrap();
        assert!(replayed.is_empty());
        let appends: Vec<_> = (0..50)
            .map(|i| {
                let journal = journal.clone();
                tokio::spawn(async move { journal.append(&entry(i)).await })
            })
            .collect();
        for a in appends {
            a.await.unwrap().unwrap();
        }
        drop(journal);
        let (_journal, replayed) = FileJournal::open(&dir).unwrap();
        assert_eq!(replayed.len(), 50);
        let mut ids: Vec<_> = replayed.iter().map(|e| e.request_id()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 50, "every acknowledged append is there once");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn seals_replay_between_promises_in_order() {
        let dir = tempdir("seals");
        let (journal, _) = FileJournal::open(&dir).unwrap();
        let seal = SealRecord {
            slot: Slot(10),
            proposer: BlsPublicKey([1; 48]),
            inclusions: vec![Bytes::from_static(b"l1")],
            batches: vec![crate::journal::SealedBatch {
                rollup_id: RollupId(1),
                nonce: 4,
                tx: Bytes::from_static(b"batch"),
            }],
            constraints: None,
        };
        journal.append(&entry(1)).await.unwrap();
        journal.submit_seal(&seal).unwrap().durable().await.unwrap();
        journal.append(&entry(2)).await.unwrap();
        drop(journal);
        let (_j, records) = FileJournal::open_all(&dir).unwrap();
        assert_eq!(
            records,
            vec![
                Record::Promise(entry(1)),
                Record::Seal(seal.clone()),
                Record::Promise(entry(2))
            ]
        );
        let (entries, seals) = Record::split(records);
        assert_eq!((entries, seals), (vec![entry(1), entry(2)], vec![seal]));
        // `open` keeps returning the promises only.
        drop(_j);
        let (_j, entries) = FileJournal::open(&dir).unwrap();
        assert_eq!(entries, vec![entry(1), entry(2)]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn auction_records_replay_between_promises_and_older_journals_still_read() {
        use baton_preconf::market::{Bid, BidReceipt, Clearing, Product};

        use crate::journal::{BidRecord, MarketRecord};

        let dir = tempdir("market");
        let (journal, _) = FileJournal::open(&dir).unwrap();
        let bidder =
            alloy_signer_local::PrivateKeySigner::from_bytes(&B256::repeat_byte(7)).unwrap();
        let domain = baton_preconf::BatonDomain {
            chain_id: 1,
            verifying_contract: Address::ZERO,
        };
        let tx = Bytes::from_static(b"rollup tx");
        let bid = Bid {
            slot: Slot(10),
            validator_pubkey: BlsPublicKey([1; 48]),
            product: Product::TopOfBatch {
                rollup: RollupId(1),
                positions: 1,
            },
            amount: U256::from(5u64),
            tx_hashes: vec![alloy_primitives::keccak256(&tx)],
            payment_tx_hash: B256::repeat_byte(1),
            bidder: bidder.address(),
            nonce: 0,
        }
        .sign(&bidder, &domain, vec![tx], Bytes::from_static(b"payment"))
        .unwrap();
        let receipt = BidReceipt {
            bid_hash: bid.bid.digest(&domain),
            slot: Slot(10),
            product: bid.bid.product.id(),
            amount: bid.bid.amount,
            seq: 0,
            arrival_ms: 123,
            committer: Address::repeat_byte(2),
        };
        let bid_record = MarketRecord::Bid(Box::new(BidRecord { bid, receipt }));
        let clearing = MarketRecord::Clearing(Clearing {
            slot: Slot(10),
            committer: Address::repeat_byte(2),
            bids_root: B256::repeat_byte(3),
            bid_count: 1,
            awards: vec![],
        });
        journal.append(&entry(1)).await.unwrap();
        journal
            .submit_market(&bid_record)
            .unwrap()
            .durable()
            .await
            .unwrap();
        journal
            .submit_market(&clearing)
            .unwrap()
            .durable()
            .await
            .unwrap();
        journal.append(&entry(2)).await.unwrap();
        drop(journal);
        let (_j, records) = FileJournal::open_all(&dir).unwrap();
        assert_eq!(records.len(), 4);
        let (entries, seals, market) = Record::split_all(records);
        assert_eq!(entries, vec![entry(1), entry(2)]);
        assert!(seals.is_empty());
        assert_eq!(market, vec![bid_record, clearing]);
        assert_eq!(market[0].slot(), Slot(10));
        // `open` keeps returning the promises only, as older callers expect.
        drop(_j);
        let (_j, entries) = FileJournal::open(&dir).unwrap();
        assert_eq!(entries, vec![entry(1), entry(2)]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn torn_tail_is_cut_and_earlier_records_kept() {
        let dir = tempdir("torn");
        let (journal, _) = FileJournal::open(&dir).unwrap();
        journal.append(&entry(1)).await.unwrap();
        journal.append(&entry(2)).await.unwrap();
        let path = journal.path().to_path_buf();
        drop(journal);
        // A crash mid-write: half a record at the end.
        let full = frame(&serde_json::to_vec(&entry(3)).unwrap());
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&full[..full.len() / 2]).unwrap();
        drop(file);
        let (journal, replayed) = FileJournal::open(&dir).unwrap();
        assert_eq!(replayed, vec![entry(1), entry(2)]);
        // Appends continue after the cut, and replay cleanly.
        journal.append(&entry(4)).await.unwrap();
        drop(journal);
        let (_j, replayed) = FileJournal::open(&dir).unwrap();
        assert_eq!(replayed, vec![entry(1), entry(2), entry(4)]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn a_bad_checksum_ends_replay_but_a_bad_record_is_an_error() {
        let dir = tempdir("crc");
        let (journal, _) = FileJournal::open(&dir).unwrap();
        journal.append(&entry(1)).await.unwrap();
        let path = journal.path().to_path_buf();
        drop(journal);
        // Flip a byte in the checksum of a second record: treated as torn.
        let mut rec = frame(&serde_json::to_vec(&entry(2)).unwrap());
        rec[5] ^= 0xff;
        OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(&rec)
            .unwrap();
        let (_j, replayed) = FileJournal::open(&dir).unwrap();
        assert_eq!(replayed, vec![entry(1)]);
        drop(_j);
        // A checksummed record that does not decode is refused loudly.
        OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(&frame(b"not json"))
            .unwrap();
        assert!(matches!(
            FileJournal::open(&dir),
            Err(JournalError::Corrupt { index: 1, .. })
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }
}

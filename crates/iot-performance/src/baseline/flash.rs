//! Baselines and a history ring in NOR flash, kept across resets and power loss.
//!
//! Built on `sequential-storage` over any `embedded-storage-async` NOR flash (internal
//! flash through the HAL, or an external SPI NOR): every item carries a CRC, writes append
//! instead of overwriting, and a write torn by a power cut is detected and skipped on the
//! next start. Each baseline is stored as one [`super::codec`] frame, so it is checked a
//! second time when read back: a torn or foreign record is never returned as data.
//!
//! Give each store its own flash region (at least two erase pages; a partition type such
//! as `embassy-embedded-hal`'s lets both share one chip).
//!
//! ```ignore
//! let mut store = FlashBaselineStore::new(flash, 0x3F_0000..0x3F_4000)?;
//! store.store(baseline_manager.get("steady_state")?).await?;
//! // after a reset:
//! store.restore_into(&mut baseline_manager).await?;
//! ```

use core::ops::Range;

use embedded_storage_async::nor_flash::NorFlash;
use sequential_storage::cache::{Cache, Uncached};
use sequential_storage::map::{MapConfig, MapStorage};
use sequential_storage::queue::{QueueConfig, QueueStorage};

use super::BaselineManager;
use super::codec::{self, MAX_FRAME_LEN};
use super::record::{MAX_NAME_LEN, Name, PerformanceBaseline, name};
use crate::monitor::HandleBound;
use crate::{Error, PerformanceSnapshot, PlatformMetrics, Result};

/// Room for a key, a frame and word alignment in sequential-storage's work buffer.
const WORK_LEN: usize = MAX_FRAME_LEN + MAX_NAME_LEN + 64;
/// Largest postcard encoding of a [`PerformanceSnapshot`], rounded up to words.
pub const MAX_SNAPSHOT_LEN: usize = 160;

type NoCache<K> = Cache<Uncached, Uncached, Uncached, K>;

fn storage_error<E>(e: sequential_storage::Error<E>) -> Error {
    use sequential_storage::Error as S;
    match e {
        S::FullStorage => Error::Storage {
            what: "flash region is full",
        },
        S::Corrupted { .. } => Error::InvalidData {
            what: "flash contents",
            reason: "corrupted beyond repair (erase the region)",
        },
        S::Storage { .. } => Error::Storage {
            what: "flash driver reported an error",
        },
        S::ItemTooBig | S::BufferTooSmall(_) | S::BufferTooBig => Error::CapacityExceeded {
            what: "flash item",
            capacity: WORK_LEN,
        },
        S::SerializationError(_) => Error::InvalidData {
            what: "flash item",
            reason: "key or value does not decode",
        },
        _ => Error::Storage {
            what: "flash storage logic error",
        },
    }
}

/// Named baselines in a flash region: the last stored version of each name wins.
pub struct FlashBaselineStore<S: NorFlash> {
    map: MapStorage<Name, S, NoCache<Name>>,
    frame: [u8; MAX_FRAME_LEN],
    work: [u8; WORK_LEN],
}

impl<S: NorFlash> FlashBaselineStore<S> {
    /// A store over `range` of `flash` (page-aligned, at least two erase pages).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a range the flash cannot use.
    pub fn new(flash: S, range: Range<u32>) -> Result<Self> {
        let config = MapConfig::try_new(range).map_err(|_| Error::InvalidConfig {
            field: "flash range",
            reason: "must be erase-page aligned and span at least two pages",
        })?;
        Ok(Self {
            map: MapStorage::new(flash, config, Cache::new_uncached()),
            frame: [0; MAX_FRAME_LEN],
            work: [0; WORK_LEN],
        })
    }

    /// Gives the flash back.
    pub fn into_inner(self) -> S {
        self.map.destroy().0
    }

    /// Stores `baseline` under its name. When this returns `Ok`, the baseline survives a
    /// power cut; when a cut interrupts it, the previous version of the name is kept.
    ///
    /// # Errors
    /// [`Error::Storage`] when the region is full or the flash fails.
    pub async fn store(&mut self, baseline: &PerformanceBaseline) -> Result<()> {
        let n = codec::encode(baseline, &mut self.frame)?;
        let value: &[u8] = self.frame.get(..n).unwrap_or_default();
        self.map
            .store_item(&mut self.work, &baseline.name, &value)
            .await
            .map_err(storage_error)
    }

    /// Reads baseline `name`; `Ok(None)` when none was stored.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a bad name; [`Error::InvalidData`] when the stored
    /// record does not verify; [`Error::Storage`] when the flash fails.
    pub async fn load(&mut self, baseline_name: &str) -> Result<Option<PerformanceBaseline>> {
        let key = name(baseline_name)?;
        let stored = self
            .map
            .fetch_item::<&[u8]>(&mut self.work, &key)
            .await
            .map_err(storage_error)?;
        let Some(bytes) = stored else {
            return Ok(None);
        };
        let (baseline, used) = codec::decode(bytes)?;
        if used != bytes.len() || baseline.name != key {
            return Err(Error::InvalidData {
                what: "flash baseline",
                reason: "record does not match its key",
            });
        }
        Ok(Some(baseline))
    }

    /// Stores every baseline of `manager`.
    ///
    /// # Errors
    /// As [`FlashBaselineStore::store`]; baselines stored before the error stay stored.
    pub async fn save_from<P: PlatformMetrics + HandleBound, const N: usize>(
        &mut self,
        manager: &BaselineManager<P, N>,
    ) -> Result<()> {
        for baseline_name in manager.list() {
            self.store(manager.get(baseline_name)?).await?;
        }
        Ok(())
    }

    /// Loads every stored baseline into `manager` (replacing those of the same names);
    /// returns how many were loaded. Records that do not verify are skipped and counted
    /// in the second value.
    ///
    /// # Errors
    /// [`Error::Storage`] when the flash fails; [`Error::CapacityExceeded`] when the
    /// manager is full.
    pub async fn restore_into<P: PlatformMetrics + HandleBound, const N: usize>(
        &mut self,
        manager: &mut BaselineManager<P, N>,
    ) -> Result<(usize, usize)> {
        // Collect the names first: the newest item of each key is fetched afterwards.
        let mut names: heapless::Vec<Name, N> = heapless::Vec::new();
        let mut skipped = 0;
        {
            let mut iter = self
                .map
                .fetch_all_items(&mut self.work)
                .await
                .map_err(storage_error)?;
            while let Some((key, _)) = iter
                .next::<&[u8]>(&mut self.work)
                .await
                .map_err(storage_error)?
            {
                if !names.contains(&key) && names.push(key).is_err() {
                    return Err(Error::CapacityExceeded {
                        what: "baseline table",
                        capacity: N,
                    });
                }
            }
        }
        let mut loaded = 0;
        for key in &names {
            match self.load(key).await {
                Ok(Some(b)) => {
                    manager.insert(b)?;
                    loaded += 1;
                }
                Ok(None) => {}
                Err(Error::InvalidData { .. }) => skipped += 1,
                Err(e) => return Err(e),
            }
        }
        Ok((loaded, skipped))
    }

    /// Erases the whole region.
    ///
    /// # Errors
    /// [`Error::Storage`] when the flash fails.
    pub async fn clear(&mut self) -> Result<()> {
        self.map.erase_all().await.map_err(storage_error)
    }
}

/// A ring of snapshots in a flash region: when full, the oldest are dropped.
pub struct FlashHistory<S: NorFlash> {
    queue: QueueStorage<S, NoCache<()>>,
    work: [u8; MAX_SNAPSHOT_LEN],
}

impl<S: NorFlash> FlashHistory<S> {
    /// A history over `range` of `flash` (page-aligned, at least two erase pages).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a range the flash cannot use.
    pub fn new(flash: S, range: Range<u32>) -> Result<Self> {
        let config = QueueConfig::try_new(range).map_err(|_| Error::InvalidConfig {
            field: "flash range",
            reason: "must be erase-page aligned and span at least two pages",
        })?;
        Ok(Self {
            queue: QueueStorage::new(flash, config, Cache::new_uncached()),
            work: [0; MAX_SNAPSHOT_LEN],
        })
    }

    /// Gives the flash back.
    pub fn into_inner(self) -> S {
        self.queue.destroy().0
    }

    /// Appends `snapshot`, dropping the oldest entries when the region is full.
    ///
    /// # Errors
    /// [`Error::Storage`] when the flash fails.
    pub async fn push(&mut self, snapshot: &PerformanceSnapshot) -> Result<()> {
        let bytes =
            postcard::to_slice(snapshot, &mut self.work).map_err(|_| Error::CapacityExceeded {
                what: "snapshot encoding buffer",
                capacity: MAX_SNAPSHOT_LEN,
            })?;
        self.queue.push(bytes, true).await.map_err(storage_error)
    }

    /// Calls `f` with every stored snapshot, oldest first; returns how many were read.
    /// Entries that do not decode are skipped and counted in the second value.
    ///
    /// # Errors
    /// [`Error::Storage`] when the flash fails.
    pub async fn for_each(&mut self, mut f: impl FnMut(PerformanceSnapshot)) -> Result<(u32, u32)> {
        let (mut read, mut skipped) = (0, 0);
        let mut iter = self.queue.iter().await.map_err(storage_error)?;
        while let Some(entry) = iter.next(&mut self.work).await.map_err(storage_error)? {
            match postcard::from_bytes::<PerformanceSnapshot>(&entry) {
                Ok(s) => {
                    f(s);
                    read += 1;
                }
                Err(_) => skipped += 1,
            }
        }
        Ok((read, skipped))
    }

    /// Erases the whole region.
    ///
    /// # Errors
    /// [`Error::Storage`] when the flash fails.
    pub async fn clear(&mut self) -> Result<()> {
        self.queue.erase_all().await.map_err(storage_error)
    }
}

//! A NOR flash in RAM with power cuts, shared by the power-loss test and the flash fuzz
//! target.
#![allow(dead_code)]

use embedded_storage_async::nor_flash::{
    ErrorType, MultiwriteNorFlash, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

pub const PAGE: usize = 2048;
pub const PAGES: usize = 4;
const WORD: usize = 4;
/// Budget units one page erase costs (it is slow compared with a word write).
const ERASE_STEPS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PowerCut;

impl NorFlashError for PowerCut {
    fn kind(&self) -> NorFlashErrorKind {
        NorFlashErrorKind::Other
    }
}

/// NOR flash in RAM: erase sets bytes to 0xFF, programming can only clear bits. After
/// `budget` units of work (a word written, or 1/64 of a page erase), power fails in the middle of the current
/// operation and every later call fails until `reboot`:
/// - a cut write leaves the words before it programmed and one word torn (only a random
///   subset of its bits cleared);
/// - a cut erase leaves the page erased up to some byte, old data after it (the fault
///   model `sequential-storage` itself is tested against; an erase that leaves random bits
///   all over the page is outside what it promises to survive).
pub struct SimFlash {
    pub mem: Vec<u8>,
    budget: Option<u32>,
    dead: bool,
    rng: fastrand::Rng,
    /// Cuts that hit a page erase / a write.
    pub erase_cuts: u32,
    pub write_cuts: u32,
}

impl SimFlash {
    pub fn new(seed: u64) -> Self {
        Self {
            mem: vec![0xFF; PAGE * PAGES],
            budget: None,
            dead: false,
            rng: fastrand::Rng::with_seed(seed),
            erase_cuts: 0,
            write_cuts: 0,
        }
    }
    pub fn reboot(&mut self, budget: Option<u32>) {
        self.dead = false;
        self.budget = budget;
    }
    /// Spends one unit; false when the power fails now.
    fn spend(&mut self) -> bool {
        match &mut self.budget {
            Some(0) => false,
            Some(b) => {
                *b -= 1;
                true
            }
            None => true,
        }
    }
}

impl ErrorType for SimFlash {
    type Error = PowerCut;
}

impl ReadNorFlash for SimFlash {
    const READ_SIZE: usize = 1;
    async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), PowerCut> {
        if self.dead {
            return Err(PowerCut);
        }
        let o = offset as usize;
        bytes.copy_from_slice(&self.mem[o..o + bytes.len()]);
        Ok(())
    }
    fn capacity(&self) -> usize {
        self.mem.len()
    }
}

impl NorFlash for SimFlash {
    const WRITE_SIZE: usize = WORD;
    const ERASE_SIZE: usize = PAGE;

    async fn erase(&mut self, from: u32, to: u32) -> Result<(), PowerCut> {
        if self.dead {
            return Err(PowerCut);
        }
        for page in (from as usize..to as usize).step_by(PAGE) {
            // An erase takes as long as many word writes: it spends ERASE_STEPS units, and
            // a cut in step k leaves the page erased up to k/ERASE_STEPS (plus a random
            // part of that step), old data after it.
            for step in 0..ERASE_STEPS {
                if !self.spend() {
                    let upto = step * PAGE / ERASE_STEPS + self.rng.usize(..PAGE / ERASE_STEPS);
                    self.mem[page..page + upto].fill(0xFF);
                    self.dead = true;
                    self.erase_cuts += 1;
                    return Err(PowerCut);
                }
            }
            self.mem[page..page + PAGE].fill(0xFF);
        }
        Ok(())
    }

    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), PowerCut> {
        if self.dead {
            return Err(PowerCut);
        }
        let o = offset as usize;
        for (i, word) in bytes.chunks(WORD).enumerate() {
            let at = o + i * WORD;
            if !self.spend() {
                // Torn word: only some of the bits that should be cleared are cleared.
                for (k, b) in word.iter().enumerate() {
                    self.mem[at + k] &= *b | self.rng.u8(..);
                }
                self.dead = true;
                self.write_cuts += 1;
                return Err(PowerCut);
            }
            for (k, b) in word.iter().enumerate() {
                self.mem[at + k] &= *b;
            }
        }
        Ok(())
    }
}

impl MultiwriteNorFlash for SimFlash {}

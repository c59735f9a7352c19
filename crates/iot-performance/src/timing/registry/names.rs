//! The registered scope names, in 6 bytes each on a 32-bit MCU instead of a `&str`'s 8
//! (a [`NameStart`] and a `u16` length, in parallel arrays: no padding between them).
//! Every field starts at zero, so the table lands in `.bss`.

use crate::timing::name_start::NameStart;

/// Up to `N` names, in registration order: name `i` is slot `i`'s.
pub(super) struct Names<const N: usize> {
    starts: [NameStart; N],
    lens: [u16; N],
    len: usize,
}

impl<const N: usize> Names<N> {
    /// No names (all zero).
    pub(super) const fn new() -> Self {
        Self {
            starts: [NameStart::NONE; N],
            lens: [0; N],
            len: 0,
        }
    }

    /// How many names are registered.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Name `index`, if registered.
    pub(super) fn get(&self, index: usize) -> Option<&'static str> {
        if index >= self.len {
            return None;
        }
        let (start, len) = (*self.starts.get(index)?, *self.lens.get(index)?);
        // SAFETY: entries below `self.len` were written together by `push` from one
        // `NameStart::split`.
        unsafe { start.join(len) }
    }

    /// The registered names, in slot order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &'static str> + '_ {
        (0..self.len).filter_map(|i| self.get(i))
    }

    /// Registers `name` as the next slot; `None` when the table is full, or for a name
    /// longer than 65 535 bytes (its length does not fit: counted like a full table).
    pub(super) fn push(&mut self, name: &'static str) -> Option<usize> {
        let index = self.len;
        let (start, stored_len) = (self.starts.get_mut(index)?, self.lens.get_mut(index)?);
        (*start, *stored_len) = NameStart::split(name)?;
        self.len = index + 1;
        Some(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_back_in_slot_order_until_full() {
        let mut names = Names::<2>::new();
        assert_eq!((names.len(), names.get(0)), (0, None));
        assert_eq!(names.push("alpha"), Some(0));
        assert_eq!(names.push(""), Some(1));
        assert_eq!(names.push("gamma"), None);
        assert!(names.iter().eq(["alpha", ""]));
        assert_eq!((names.get(0), names.get(2)), (Some("alpha"), None));
    }

    #[test]
    fn a_name_too_long_for_its_length_is_refused() {
        static BYTES: [u8; 1 << 16] = [b'x'; 1 << 16];
        let long = core::str::from_utf8(&BYTES).unwrap_or_default();
        assert_eq!(long.len(), usize::from(u16::MAX) + 1);
        let mut names = Names::<2>::new();
        assert_eq!(names.push(long), None);
        assert_eq!(names.push(&long[1..]), Some(0));
        assert_eq!(names.get(0).map(str::len), Some(usize::from(u16::MAX)));
    }
}

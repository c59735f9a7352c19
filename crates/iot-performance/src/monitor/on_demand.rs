//! [`OnDemand`]: monitor state that costs nothing until a feature that needs it is used.

#[cfg(feature = "alloc")]
use crate::Error;
use crate::Result;

/// A value created by the first call that needs it. With `alloc` it lives on the heap and
/// nothing is reserved before (a monitor that never checks regressions does not carry the
/// regression tracker's kilobyte); without `alloc` its room is reserved in place.
#[derive(Debug, Clone)]
pub(crate) struct OnDemand<T> {
    #[cfg(feature = "alloc")]
    slot: alloc::vec::Vec<T>,
    #[cfg(not(feature = "alloc"))]
    slot: Option<T>,
}

impl<T> OnDemand<T> {
    /// Not created yet.
    pub(crate) const fn new() -> Self {
        Self {
            #[cfg(feature = "alloc")]
            slot: alloc::vec::Vec::new(),
            #[cfg(not(feature = "alloc"))]
            slot: None,
        }
    }

    /// The value, if it was created.
    pub(crate) fn get(&self) -> Option<&T> {
        #[cfg(feature = "alloc")]
        return self.slot.first();
        #[cfg(not(feature = "alloc"))]
        return self.slot.as_ref();
    }

    /// The value, if it was created.
    pub(crate) fn get_mut(&mut self) -> Option<&mut T> {
        #[cfg(feature = "alloc")]
        return self.slot.first_mut();
        #[cfg(not(feature = "alloc"))]
        return self.slot.as_mut();
    }

    /// The value, created with `create` if needed.
    ///
    /// # Errors
    /// [`crate::Error::CapacityExceeded`] (`what: "heap"`, `capacity` = the bytes asked for) when
    /// the allocator cannot provide the room; nothing changes.
    pub(crate) fn get_or_try_init(&mut self, create: impl FnOnce() -> T) -> Result<&mut T> {
        #[cfg(feature = "alloc")]
        {
            let full = || Error::CapacityExceeded {
                what: "heap (monitor state created on first use)",
                capacity: core::mem::size_of::<T>(),
            };
            if self.slot.is_empty() {
                self.slot.try_reserve_exact(1).map_err(|_| full())?;
                self.slot.push(create());
            }
            self.slot.first_mut().ok_or_else(full)
        }
        #[cfg(not(feature = "alloc"))]
        {
            Ok(self.slot.get_or_insert_with(create))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_on_first_use() {
        let mut value = OnDemand::<u32>::new();
        assert!(value.get().is_none() && value.get_mut().is_none());
        *value.get_or_try_init(|| 5).unwrap() += 1;
        assert_eq!(value.get_or_try_init(|| 99).copied(), Ok(6));
        assert_eq!(value.get(), Some(&6));
    }
}

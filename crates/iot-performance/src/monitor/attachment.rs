//! [`Attachment`]: per-monitor state of a layer above the monitor (the regression checks),
//! kept without the monitor knowing its type, so that the monitor depends on nothing that
//! judges it.

use alloc::boxed::Box;
use core::alloc::Layout;
use core::any::Any;

use crate::{Error, Result};

/// One value of any `'static + Send` type, created by its first use, on the heap.
#[derive(Default)]
pub(crate) struct Attachment(Option<Box<dyn Any + Send>>);

impl core::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("Attachment")
            .field(&self.0.as_ref().map(|_| "..."))
            .finish()
    }
}

impl Attachment {
    /// Nothing attached yet.
    pub(crate) const fn new() -> Self {
        Self(None)
    }

    /// The attached `T`, created with `create` if nothing is attached yet.
    ///
    /// # Errors
    /// [`Error::CapacityExceeded`] (`what: "heap …"`) when the allocator cannot hold a
    /// `T` (nothing changes), or when a value of another type is attached already.
    pub(crate) fn get_or_try_init<T: Any + Send>(&mut self, create: fn() -> T) -> Result<&mut T> {
        let full = || Error::CapacityExceeded {
            what: "heap (monitor state created on first use)",
            capacity: core::mem::size_of::<T>(),
        };
        if self.0.is_none() {
            self.0 = Some(try_box(create()).ok_or_else(full)?);
        }
        self.0
            .as_mut()
            .and_then(|value| value.downcast_mut::<T>())
            .ok_or(Error::CapacityExceeded {
                what: "monitor attachment (holds another type)",
                capacity: 1,
            })
    }
}

/// `value` on the heap, or `None` when the allocator is out of memory (where `Box::new`
/// would abort).
fn try_box<T: Any + Send>(value: T) -> Option<Box<dyn Any + Send>> {
    let layout = Layout::new::<T>();
    if layout.size() == 0 {
        return Some(Box::new(value));
    }
    // SAFETY: `layout` has a non-zero size (checked above).
    let ptr = unsafe { alloc::alloc::alloc(layout) }.cast::<T>();
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `ptr` is non-null, allocated by the global allocator with `T`'s layout, and
    // written once before `Box::from_raw` takes ownership of it (as `Box::new` would).
    unsafe {
        ptr.write(value);
        Some(Box::from_raw(ptr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_then_reused() {
        let mut slot = Attachment::new();
        *slot.get_or_try_init(|| 5u32).unwrap() += 1;
        assert_eq!(slot.get_or_try_init(|| 99u32).copied(), Ok(6));
    }

    #[test]
    fn another_type_is_refused() {
        let mut slot = Attachment::new();
        slot.get_or_try_init(|| 1u8).unwrap();
        assert!(slot.get_or_try_init(|| 1u16).is_err());
        assert_eq!(slot.get_or_try_init(|| 7u8).copied(), Ok(1));
    }

    #[test]
    fn zero_sized_values() {
        let mut slot = Attachment::new();
        assert!(slot.get_or_try_init(|| ()).is_ok());
    }
}

//! Giving a reader thread's deep stack pages back once it has logged in.
//!
//! A connection's thread spends its life blocked in `read` about 7 KiB below
//! the top of its stack (two pages, with the thread's own bookkeeping at the
//! top). Logging in goes deeper: SQLite's lookups, argon2 and the log's
//! formatting touch two more pages, and a page once touched stays resident
//! for as long as the thread lives: 16 KiB of every idle connection's 24 KiB
//! (measured with 5,000 connections, BENCHMARKS.md "Memory per connection").
//! Telling the kernel those pages are free (`MADV_DONTNEED`) costs one system
//! call per login and brings the stack back to what its resting depth needs.
//!
//! The one module allowed `unsafe` (Cargo.toml denies it elsewhere): no safe
//! wrapper can know that the memory handed to the kernel is dead.
#![allow(unsafe_code)]

/// Room left below the caller's frame for the call into the kernel itself,
/// so that the page holding the return address is never among those freed.
const MARGIN: usize = 256;

/// Frees the pages of this thread's stack below the caller's frame (less
/// [`MARGIN`]). Everything below the stack pointer is dead by the ABI, so a
/// page freed here comes back zeroed if the thread goes that deep again.
/// Call it where the thread rests, not from deep inside a call chain.
#[cfg(target_os = "linux")]
#[inline(never)]
pub fn release_below_here() {
    let marker = 0u8;
    let here = std::ptr::addr_of!(marker) as usize;
    let Some(low) = stack_low_end() else {
        return;
    };
    let page = page_size();
    let end = here.saturating_sub(MARGIN) & !(page - 1);
    if end <= low {
        return;
    }
    // SAFETY: [low, end) lies within this thread's own stack mapping and
    // wholly below the live frames (the caller's frame is above `here`, and
    // the madvise call's own frame fits in MARGIN); MADV_DONTNEED on private
    // anonymous memory only makes those pages read as zero when next touched.
    unsafe {
        libc::madvise(low as *mut libc::c_void, end - low, libc::MADV_DONTNEED);
    }
}

#[cfg(not(target_os = "linux"))]
pub fn release_below_here() {}

/// The lowest usable address of this thread's stack (above its guard page).
#[cfg(target_os = "linux")]
fn stack_low_end() -> Option<usize> {
    // SAFETY: the attribute object is initialised by pthread_getattr_np
    // before it is read, and destroyed once.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let got = libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
        libc::pthread_attr_destroy(&mut attr);
        (got == 0).then_some(addr as usize)
    }
}

#[cfg(target_os = "linux")]
fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
        size if size > 0 => size as usize,
        _ => 4096,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[inline(never)]
    fn go_deep(depth: usize) -> u8 {
        let mut block = [depth as u8; 4096];
        std::hint::black_box(&mut block);
        match depth {
            0 => block[17],
            _ => go_deep(depth - 1).wrapping_add(block[4095]),
        }
    }

    #[test]
    fn a_thread_goes_on_working_after_its_stack_is_released() {
        let handle = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let first = go_deep(16);
                release_below_here();
                // The freed pages come back zeroed and hold fresh frames.
                let again = go_deep(16);
                release_below_here();
                (first, again)
            })
            .expect("spawn");
        let (first, again) = handle.join().expect("the thread ran to its end");
        assert_eq!(first, again);
    }
}

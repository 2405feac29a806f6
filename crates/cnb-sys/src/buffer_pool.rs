//! [`BufferPool`]: large byte buffers handed back for reuse instead of freed.
//!
//! The static binaries use musl's allocator, which serves every allocation of 128 KiB or more
//! with its own `mmap` and frees it with `munmap`. A pipeline that makes a fresh MiB-sized
//! buffer per block (a gzip block, a body chunk, an upload piece) therefore pays a page fault
//! on every page it fills, and an `munmap` that stops the process's other threads to flush
//! their TLBs, for every block: a third of the CPU of a GiB-sized layer export. A pool keeps a
//! few buffers and their pages: they are faulted in once.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, PoisonError};

/// Buffers of one capacity, of which the pool keeps at most `keep` that were handed back;
/// more are freed (memory stays bounded by what is in use plus `keep` buffers).
#[derive(Debug, Clone)]
pub struct BufferPool {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    capacity: usize,
    keep: usize,
    free: Mutex<Vec<Vec<u8>>>,
}

impl BufferPool {
    /// A pool of buffers of `capacity` bytes that keeps up to `keep` returned ones.
    pub fn new(capacity: usize, keep: usize) -> Self {
        Self {
            shared: Arc::new(Shared {
                capacity,
                keep,
                free: Mutex::new(Vec::new()),
            }),
        }
    }

    /// An empty buffer of at least the pool's capacity: a returned one if there is one.
    pub fn take(&self) -> PooledBuffer {
        let returned = self
            .shared
            .free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        PooledBuffer {
            buffer: returned.unwrap_or_else(|| Vec::with_capacity(self.shared.capacity)),
            pool: Arc::clone(&self.shared),
        }
    }

    /// How many returned buffers the pool holds now.
    pub fn kept(&self) -> usize {
        self.shared
            .free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// A buffer from a [`BufferPool`]: a `Vec<u8>` that goes back to the pool, emptied, when
/// dropped. One that grew past twice the pool's capacity is freed instead, so that one odd
/// block does not pin a large buffer for the process's life.
#[derive(Debug)]
pub struct PooledBuffer {
    buffer: Vec<u8>,
    pool: Arc<Shared>,
}

impl Deref for PooledBuffer {
    type Target = Vec<u8>;

    fn deref(&self) -> &Vec<u8> {
        &self.buffer
    }
}

impl DerefMut for PooledBuffer {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buffer
    }
}

impl AsRef<[u8]> for PooledBuffer {
    fn as_ref(&self) -> &[u8] {
        &self.buffer
    }
}

impl Drop for PooledBuffer {
    fn drop(&mut self) {
        let mut buffer = std::mem::take(&mut self.buffer);
        let capacity = buffer.capacity();
        if capacity < self.pool.capacity || capacity > 2 * self.pool.capacity {
            return;
        }
        buffer.clear();
        let mut free = self
            .pool
            .free
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if free.len() < self.pool.keep {
            free.push(buffer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_returned_buffer_is_handed_out_again_empty_with_its_memory() {
        let pool = BufferPool::new(1 << 20, 2);
        let mut first = pool.take();
        assert!(first.capacity() >= 1 << 20);
        first.extend_from_slice(b"block");
        let address = first.as_ptr();
        drop(first);
        assert_eq!(pool.kept(), 1);
        let again = pool.take();
        assert_eq!(again.as_ptr(), address);
        assert!(again.is_empty());
        assert_eq!(pool.kept(), 0);
    }

    #[test]
    fn the_pool_keeps_at_most_keep_buffers() {
        let pool = BufferPool::new(4096, 2);
        let buffers: Vec<_> = (0..5).map(|_| pool.take()).collect();
        drop(buffers);
        assert_eq!(pool.kept(), 2);
    }

    #[test]
    fn a_buffer_grown_far_past_the_capacity_is_freed_not_kept() {
        let pool = BufferPool::new(4096, 2);
        let mut grown = pool.take();
        grown.resize(3 * 4096, 7);
        drop(grown);
        assert_eq!(pool.kept(), 0);
        let mut within = pool.take();
        within.resize(4096 + 100, 7);
        drop(within);
        assert_eq!(pool.kept(), 1);
    }

    #[test]
    fn buffers_cross_threads_and_come_back() {
        let pool = BufferPool::new(4096, 4);
        let mut buffer = pool.take();
        buffer.push(1);
        std::thread::spawn(move || drop(buffer))
            .join()
            .expect("thread");
        assert_eq!(pool.kept(), 1);
    }
}

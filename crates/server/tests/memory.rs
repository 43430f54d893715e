//! Nothing is kept per request: a counting allocator measures the live heap of this test
//! process (which runs the real server) before and after a batch of `GET /health` requests.
//! This counts bytes, it does not time anything.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use common::*;

struct Counting;

static LIVE: AtomicI64 = AtomicI64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as i64, Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

async fn health_requests(s: &TestServer, url: &str, n: usize) {
    for _ in 0..n {
        let r = s.client.get(url).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        r.bytes().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_requests_keep_no_memory() {
    let s = TestServer::start().await;
    let t = s.login().await;
    let d = s.create(&t, serde_json::json!({ "name": "mem" })).await;
    let url = s.be(&format!(
        "/backends/{}/health",
        d["subdomain"].as_str().unwrap()
    ));
    // Warm up every lazy structure (connection, caches, metric series).
    health_requests(&s, &url, 10_000).await;
    let settle = Duration::from_secs(1);
    tokio::time::sleep(settle).await;
    let before = LIVE.load(Ordering::Relaxed);
    const N: usize = 20_000;
    health_requests(&s, &url, N).await;
    tokio::time::sleep(settle).await;
    let grown = LIVE.load(Ordering::Relaxed) - before;

    // Retaining even 4 bytes per request would show as 80 000 bytes.
    assert!(
        grown < 64 * 1024,
        "the live heap grew by {grown} bytes over {N} requests ({:.1} per request)",
        grown as f64 / N as f64
    );
    s.stop().await;
}

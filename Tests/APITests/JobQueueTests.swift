import Foundation
import Storage
import Testing
import TestSupport

/// The durable job queue's rules: a key is queued once; a job queued again while it runs is kept
/// and waits for the running one; a lease that runs out is taken over.
struct JobQueueTests {
    @Test func queuedOnceRunsOneAtATimeAndIsTakenOver() throws {
        let data = try ScratchDirectory()
        let store = try ServiceStore(dataDirectory: data.url)
        #expect(try store.enqueue(kind: "evaluate", key: "evaluate:r1", payload: "a"))
        #expect(try store.enqueue(kind: "evaluate", key: "evaluate:r1", payload: "b") == false, "queued twice")
        let first = try #require(try store.claim(lease: 60))
        #expect(first.payload == "a")
        // Queued again while it runs (an advisory update landing mid-evaluation): kept, but not
        // run beside it.
        #expect(try store.enqueue(kind: "evaluate", key: "evaluate:r1", payload: "c"))
        #expect(try store.enqueue(kind: "evaluate", key: "evaluate:r1", payload: "d") == false)
        #expect(try store.claim(lease: 60) == nil)
        try store.complete(first)
        let second = try #require(try store.claim(lease: 60))
        #expect(second.payload == "c")
        try store.complete(second)
        #expect(try store.completions(key: "evaluate:r1") == 2)

        // A worker that died: its lease runs out and the job is leased again, attempt 2.
        #expect(try store.enqueue(kind: "scan-host", key: "scan-host:i-1", payload: "h"))
        let dying = try #require(try store.claim(lease: 0.2))
        #expect(try store.claim(lease: 60) == nil)
        Thread.sleep(forTimeInterval: 0.3)
        let takeover = try #require(try store.claim(lease: 60))
        #expect(takeover.id == dying.id && takeover.attempts == 2)
    }
}

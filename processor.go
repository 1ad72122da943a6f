package pelican

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// The processor runs the handlers. It has Concurrency lanes, goroutines
// that each run one handler at a time, and a queue of the messages that
// are owned and waiting for a lane. A lane takes the next message from
// the queue; when the queue runs low it reads the next batch itself
// (reader.read), so that reading happens in batches while a slow message
// holds up only its own lane. With one lane this is the classic loop:
// read a batch, handle it, read the next (acknowledging the batch with
// that read).
//
// Suspects, messages recovered from a worker that may have died while
// handling them (see recover.go), run alone: once one is waiting, no
// lane starts another message until the running ones are done, and none
// starts while it runs. A message that crashes its process then takes no
// neighbour's delivery attempt with it.
//
// A handler that overruns its time limit is abandoned by the watchdog
// (watchdog.go), which settles its message and starts a new lane in its
// place: a lane's slot is counted in running, not in goroutines.
type processor struct {
	w *Worker

	mu   sync.Mutex
	cond sync.Cond // signalled when the queue, suspects, running or reads change, and on stop
	// queue holds the owned messages waiting for a lane, from head on.
	queue []*Message
	head  int
	// suspects are the IDs of the messages waiting to run alone (see
	// recover.go), oldest first.
	suspects []string
	// running counts the handler slots in use: lanes running a handler
	// and the attempts of suspects.
	running int
	// suspectRunning is set while a suspect runs.
	suspectRunning bool
	// reads counts the reads in flight, and asked the messages they asked
	// for; more is set when the last read returned all it asked for (the
	// stream likely holds more).
	reads, asked int
	more         bool
	// stopping is set once the worker shuts down: lanes end as they come
	// back for work.
	stopping bool
	// readRTT estimates how long a read takes when messages wait: the
	// shortest recent read that returned messages (a read that waited for
	// them says nothing of its cost), creeping up by a sixteenth on every
	// longer one so that it follows a server that slows down. The read
	// sizing of readCountLocked uses it.
	readRTT time.Duration
	// ahead is aheadLocked as of the last read: the queue's target, which
	// the lanes compare the queue with at every message.
	ahead int

	lanes []*lane        // every lane started, abandoned ones included; guarded by mu
	wg    sync.WaitGroup // lanes running
}

// lane is one handler slot's goroutine and what the watchdog sees of it.
type lane struct {
	// current is the message whose handler runs, nil between messages.
	current atomic.Pointer[Message]
	// started is when current's handler started, in nanoseconds since
	// the worker's epoch.
	started atomic.Int64
	// abandoned is set by the watchdog when it gave up on current's
	// handler: the lane ends as soon as the handler returns, discarding
	// its result.
	abandoned atomic.Bool
	// avg is a moving average of this lane's handler durations, in
	// nanoseconds (see readCountLocked).
	avg atomic.Int64
	// mu guards processed: the messages this lane processed and has not
	// yet handed to the settler, which it does in bulk (see next), unless
	// the settler gathers them first. A leaf lock.
	mu        sync.Mutex
	processed []*Message
}

func newProcessor(w *Worker) *processor {
	p := &processor{w: w, ahead: w.cfg.BatchSize}
	p.cond.L = &p.mu
	return p
}

// maxReads is how many reads a worker with n lanes keeps in flight at
// most: one per lane up to four, so that a fast server is kept busy while
// the worker parses replies, and no more, so that a worker does not hold
// messages its lanes cannot run soon. (Only one of them may wait for new
// messages: see next.)
func maxReads(lanes int) int { return min(lanes, 4) }

// start starts the lanes.
func (p *processor) start(work context.Context) {
	for range p.w.cfg.Concurrency {
		p.startLane(work)
	}
}

func (p *processor) startLane(work context.Context) {
	l := new(lane)
	p.mu.Lock()
	p.lanes = append(p.lanes, l)
	p.mu.Unlock()
	p.wg.Add(1)
	go p.run(work, l)
}

// run is a lane's loop: take the next message, suspect or read, until
// the worker stops or the watchdog abandons the lane. An abandoned lane
// ends without a word: whoever abandoned it freed its slot and marked it
// done in p.wg.
func (p *processor) run(work context.Context, l *lane) {
	var finished slot
	for {
		j := p.next(l, finished)
		finished = none
		kept := true
		switch {
		case j.m != nil:
			kept, finished = p.w.handleOne(work, l, j.m), message
		case j.suspect != "":
			kept, finished = p.w.recovery.attempt(work, l, j.suspect), suspectSlot
		case j.read:
			p.w.reader.read(work, j.block)
			continue
		case j.settle:
			p.w.settler.help(p.w.after)
			continue
		default:
			p.wg.Done()
			return
		}
		if !kept {
			return
		}
	}
}

// slot says what a lane coming back for work has just finished, so that
// next frees its slot in the same critical section.
type slot int

const (
	none        slot = iota // nothing: it read, or just started
	message                 // a message
	suspectSlot             // a suspect
)

// job is what a lane does next: handle message m, attempt suspect (by ID), make
// a read (waiting up to Block for new messages if block is set), or help
// the settler write failures (settle). The zero job ends the lane.
type job struct {
	m           *Message
	suspect     string
	read, block bool
	settle      bool
}

// next blocks until there is something for a lane to do, and returns it;
// the zero job once the worker stops.
//
// A read made while messages wait in the queue (to keep it ahead of the
// lanes) does not block, and only one such read runs at a time: the other
// lanes take the waiting messages meanwhile. A read that waits for new
// messages is made only when no other read is under way.
func (p *processor) next(l *lane, finished slot) job {
	p.mu.Lock()
	defer p.mu.Unlock()
	if finished != none {
		p.freeLocked(finished == suspectSlot)
	}
	if n := l.buffered(); n >= maxLaneAcks || n > 0 && p.queued() == 0 {
		// Handed to the settler in bulk; at once if the lane may read or
		// wait next, so that no acknowledgement waits for a read that may
		// block. (While it runs a slow handler, the settler takes them:
		// see gather.)
		p.w.settler.processed(l.take())
	}
	for {
		switch {
		case p.stopping:
			return job{}
		case len(p.suspects) > 0 || p.suspectRunning:
			if p.running == 0 && !p.suspectRunning {
				id := p.suspects[0]
				p.suspects = p.suspects[1:]
				p.running++
				p.suspectRunning = true
				if len(p.suspects) == 0 {
					select {
					case p.w.claimer.drained <- struct{}{}:
					default:
					}
				}
				return job{suspect: id}
			}
			// Let the running handlers finish, start nothing else.
		case p.queued() > 0:
			if p.reads == 0 && p.more && p.queued() < p.lowWaterLocked() && !p.w.settler.behind() {
				// Only while reads find all they ask for: a prefetch that
				// found the stream drained is not repeated (it would keep
				// this lane from the queue) until a read finds more.
				p.reads++
				return job{read: true}
			}
			m := p.queue[p.head]
			p.queue[p.head] = nil
			if p.head++; p.head == len(p.queue) {
				p.queue, p.head = p.queue[:0], 0
			}
			p.running++
			return job{m: m}
		case p.w.settler.behind():
			// The settler has more than a batch of failures to write: read
			// nothing more, help write them, so that failing messages
			// cannot pile up in memory.
			return job{settle: true}
		case p.reads == 0:
			// Nothing to run, nothing coming: wait for new messages, and
			// have the settler write what waits meanwhile.
			p.w.settler.kickIfPending()
			p.reads++
			return job{read: true, block: true}
		case p.more && p.reads < maxReads(p.w.cfg.Concurrency):
			// A read is under way and the last one found more than it
			// asked for: read beside it, without waiting. (A read that
			// waits for new messages while another brings some would keep
			// this lane from them.)
			p.reads++
			return job{read: true}
		default:
			// Nothing to run and reads under way: what this lane's last
			// handler left to write goes out now rather than with the
			// next read, which may wait for new messages up to Block.
			p.w.settler.kickIfPending()
		}
		p.cond.Wait()
	}
}

// queued returns how many messages wait in the queue. p.mu must be held.
func (p *processor) queued() int { return len(p.queue) - p.head }

// lowWaterLocked is the queue length under which a lane reads the next
// batch before taking a message, so that the other lanes do not run dry
// while it reads: half the queue's target (p.ahead, as of the last read).
// A single lane reads only once the queue is empty: it could not run
// anything while it reads. p.mu must be held.
func (p *processor) lowWaterLocked() int {
	if p.w.cfg.Concurrency == 1 {
		return 0
	}
	return (p.ahead + 1) / 2
}

// aheadLocked is how many messages the queue should hold to keep the
// lanes busy through a read: as many as they handle in two reads' time,
// from 1 to BatchSize. Unknown speeds count as fast. p.mu must be held.
func (p *processor) aheadLocked() int {
	cfg := &p.w.cfg
	var sum, n int64
	for _, l := range p.lanes {
		if a := l.avg.Load(); a > 0 && !l.abandoned.Load() {
			sum += a
			n++
		}
	}
	if n == 0 || p.readRTT <= 0 {
		return cfg.BatchSize
	}
	handler := sum / n
	if handler <= 0 {
		return cfg.BatchSize
	}
	ahead := 2 * int64(cfg.Concurrency) * int64(p.readRTT) / handler
	return int(min(max(ahead, 1), int64(cfg.BatchSize)))
}

// readCountLocked returns how many messages a read should ask for: with
// fast handlers, BatchSize; with slow ones, enough to give every free lane
// one and to keep the queue ahead, less what reads already under way
// asked for. A worker whose handlers are slow so asks only for what it can
// start soon, leaving the rest of the stream to the group's other
// workers. p.mu must be held.
func (p *processor) readCountLocked() int {
	ahead := p.aheadLocked()
	if ahead == p.w.cfg.BatchSize {
		// Fast handlers: full batches, the fewest round trips.
		return ahead
	}
	free := p.w.cfg.Concurrency - p.running
	n := free + ahead - p.queued() - p.asked
	return min(max(n, 1), p.w.cfg.BatchSize)
}

// beginRead returns the count for a read a lane is about to make (next
// returned read), counting it as asked.
func (p *processor) beginRead() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.readCountLocked()
	p.asked += n
	return n
}

// endRead ends a read that asked for asked messages, queueing what it
// returned (already owned), and notes how long it took when it returned
// messages. Messages read after the worker began to stop are returned,
// for the caller to give back.
func (p *processor) endRead(asked int, msgs []*Message, took time.Duration) (refused []*Message) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reads--
	p.asked -= asked
	p.more = len(msgs) >= asked
	if len(msgs) > 0 && took > 0 {
		if p.readRTT == 0 || took < p.readRTT {
			p.readRTT = took
		} else {
			p.readRTT += p.readRTT / 16
		}
	}
	p.ahead = p.aheadLocked()
	p.cond.Broadcast()
	return p.pushLocked(msgs)
}

// push queues owned messages for the lanes (retries, given-back messages
// a claim took); it returns them if the worker is stopping.
func (p *processor) push(msgs []*Message) (refused []*Message) {
	if len(msgs) == 0 {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pushLocked(msgs)
}

// pushLocked is push with p.mu held.
func (p *processor) pushLocked(msgs []*Message) (refused []*Message) {
	if p.stopping {
		return msgs
	}
	p.queue = append(p.queue, msgs...)
	p.cond.Broadcast()
	return nil
}

// wake wakes the lanes waiting for something to change (the settler
// calls it once it has caught up).
func (p *processor) wake() {
	p.mu.Lock()
	p.cond.Broadcast()
	p.mu.Unlock()
}

// queue queues owned messages for the lanes, giving back those it cannot
// because the worker is stopping.
func (w *Worker) queue(msgs []*Message) {
	if refused := w.processor.push(msgs); refused != nil {
		w.settler.giveBack(w.after, refused...)
	}
}

// pushSuspects queues suspects to run alone; it returns them if the
// worker is stopping.
func (p *processor) pushSuspects(ss []string) (refused []string) {
	if len(ss) == 0 {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopping {
		return ss
	}
	p.suspects = append(p.suspects, ss...)
	p.cond.Broadcast()
	return nil
}

// load returns how many messages and suspects wait for a lane: the retry
// scan and the claim pass take no more while the lanes have enough.
func (p *processor) load() (queued, suspects int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.queued(), len(p.suspects)
}

// freeLocked frees the slot of a lane that finished a message or a
// suspect. Only a suspect waits for a free slot (for all of them, to run
// alone): otherwise nothing waiting has changed, and no lane is woken.
// p.mu must be held.
func (p *processor) freeLocked(suspect bool) {
	p.running--
	if suspect {
		p.suspectRunning = false
	}
	if suspect || len(p.suspects) > 0 && p.running == 0 {
		p.cond.Broadcast()
	}
}

// maxLaneAcks is how many processed messages a lane keeps before handing
// them to the settler while messages still wait in the queue.
const maxLaneAcks = 32

// add buffers processed message m.
func (l *lane) add(m *Message) {
	l.mu.Lock()
	l.processed = append(l.processed, m)
	l.mu.Unlock()
}

// buffered returns how many processed messages the lane buffers.
func (l *lane) buffered() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.processed)
}

// take returns the lane's processed messages, emptying its buffer.
func (l *lane) take() []*Message {
	l.mu.Lock()
	defer l.mu.Unlock()
	msgs := l.processed
	l.processed = nil
	return msgs
}

// gather returns the processed messages every lane buffers, for the
// settler to write.
func (p *processor) gather() []*Message {
	p.mu.Lock()
	lanes := append([]*lane(nil), p.lanes...)
	p.mu.Unlock()
	var msgs []*Message
	for _, l := range lanes {
		msgs = append(msgs, l.take()...)
	}
	return msgs
}

// stop makes the lanes end as they come back for work, and returns the
// messages and suspects that were waiting, for the caller to give back.
func (p *processor) stop() ([]*Message, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopping = true
	msgs := append([]*Message(nil), p.queue[p.head:]...)
	p.queue, p.head = nil, 0
	ss := p.suspects
	p.suspects = nil
	p.cond.Broadcast()
	return msgs, ss
}

// wait waits until every lane has ended or ctx ends, and reports whether
// they all did.
func (p *processor) wait(ctx context.Context) bool { return waitGroup(ctx, &p.wg) }

// abandonAll abandons the handlers still running when shutdown's grace
// period is over, and returns their messages, for the caller to give
// back.
func (p *processor) abandonAll() []*Message {
	p.mu.Lock()
	lanes := append([]*lane(nil), p.lanes...)
	p.mu.Unlock()
	var msgs []*Message
	for _, l := range lanes {
		m := l.current.Load()
		if m == nil || !l.current.CompareAndSwap(m, nil) {
			continue
		}
		l.abandoned.Store(true)
		p.w.settler.processed(l.take())
		p.wg.Done()
		msgs = append(msgs, m)
	}
	return msgs
}

// replace frees the slot of abandoned lane l, which was running a
// suspect or not, and starts a lane in its place unless the worker is
// stopping.
func (p *processor) replace(work context.Context, l *lane, suspect bool) {
	p.mu.Lock()
	p.freeLocked(suspect)
	for i, x := range p.lanes {
		if x == l {
			p.lanes = append(p.lanes[:i], p.lanes[i+1:]...)
			break
		}
	}
	var next *lane
	if !p.stopping {
		// Counted before the abandoned lane is marked done, so that p.wg
		// never drops to zero in between.
		next = new(lane)
		p.lanes = append(p.lanes, next)
		p.wg.Add(1)
	}
	p.cond.Broadcast()
	p.mu.Unlock()
	p.wg.Done()
	if next != nil {
		go p.run(work, next)
	}
}

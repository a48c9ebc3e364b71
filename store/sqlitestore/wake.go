package sqlitestore

import (
	"context"
	"errors"
	"sync"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/tallyfacade/tallyfacade/store/postjob"
)

// SQLite has no LISTEN/NOTIFY. riversqlite (v0.49) emulates it with a
// notification table that its listener reads every 50 ms, and since the
// driver claims a listener, River does not wake its own worker after an
// insert either (it does that only for drivers without one). So a committed
// order waited for the worker's next fetch poll: with a 10 ms poll that was
// 8.7 ms at the median (the poll restarts after each fetch), two thirds of a
// synchronous POST /orders with a fast Tally (issue #14, measured with
// BenchmarkPaceSyncOrder).
//
// An SQLite file has one process, so the store knows every commit that
// queues a job: it rings a bell, and the listener River's worker client uses
// answers the ring with the notification PostgreSQL would have sent at that
// commit (River's insert topic, naming the queue). The driver's own table
// polling still runs beneath it, for River's other topics (leadership,
// job control) and for jobs queued by anything else.

// riverInsertTopic and the payload are River's own insert notification
// (river/internal/notifier, NotificationTopicInsert, and the payload
// Client.maybeNotifyInsertForQueues writes): the producer of the named queue
// fetches at once. TestQueueWakesWithoutPolling fails if River stops
// understanding them.
const riverInsertTopic = "river_insert"

var insertPayload = `{"queue": "` + postjob.Queue + `"}`

// jobBell tells the listeners of this store's River clients that a post_order
// job was committed.
type jobBell struct {
	mu   sync.Mutex
	subs map[chan struct{}]struct{}
}

// ring wakes every listener; a listener already woken stays woken once.
func (b *jobBell) ring() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (b *jobBell) subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = map[chan struct{}]struct{}{}
	}
	b.subs[ch] = struct{}{}
	return ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs, ch)
	}
}

// wakingDriver is riversqlite's driver with a listener that also answers
// the store's bell.
type wakingDriver struct {
	*riversqlite.Driver
	bell *jobBell
	// listener replaces the driver's own listener beneath the bell (tests:
	// one that never delivers, to show the bell alone wakes the worker).
	listener func(*riverdriver.GetListenenerParams) riverdriver.Listener
}

// GetListener implements riverdriver.Driver.
func (d wakingDriver) GetListener(params *riverdriver.GetListenenerParams) riverdriver.Listener {
	inner := d.Driver.GetListener
	if d.listener != nil {
		inner = d.listener
	}
	return &wakingListener{Listener: inner(params), bell: d.bell}
}

// wakingListener is riversqlite's listener, interrupted by the bell. River's
// notifier calls WaitForNotification from one goroutine at a time.
type wakingListener struct {
	riverdriver.Listener
	bell *jobBell

	mu    sync.Mutex
	wake  <-chan struct{} // while connected
	leave func()

	// held is what the driver's listener returned just as the bell rang,
	// for the next call: a notification, or its error.
	held    *riverdriver.Notification
	heldErr error
}

// Connect implements riverdriver.Listener.
func (l *wakingListener) Connect(ctx context.Context) error {
	if err := l.Listener.Connect(ctx); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.wake, l.leave = l.bell.subscribe()
	return nil
}

// Close implements riverdriver.Listener.
func (l *wakingListener) Close(ctx context.Context) error {
	l.mu.Lock()
	if l.leave != nil {
		l.leave()
		l.wake, l.leave = nil, nil
	}
	l.mu.Unlock()
	return l.Listener.Close(ctx)
}

// WaitForNotification implements riverdriver.Listener: the driver's next
// notification, or River's insert notification as soon as the bell rings.
func (l *wakingListener) WaitForNotification(ctx context.Context) (*riverdriver.Notification, error) {
	if n, err := l.held, l.heldErr; n != nil || err != nil {
		l.held, l.heldErr = nil, nil
		return n, err
	}
	l.mu.Lock()
	wake := l.wake
	l.mu.Unlock()
	rung := &riverdriver.Notification{Topic: riverInsertTopic, Payload: insertPayload}
	select {
	case <-wake:
		return rung, nil
	default:
	}
	type result struct {
		n   *riverdriver.Notification
		err error
	}
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan result, 1)
	go func() {
		n, err := l.Listener.WaitForNotification(inner)
		done <- result{n, err}
	}()
	select {
	case r := <-done:
		return r.n, r.err
	case <-wake:
		cancel()
		r := <-done
		switch {
		case r.err == nil:
			l.held = r.n // it arrived as the bell rang
		case ctx.Err() == nil && !errors.Is(r.err, context.Canceled):
			l.heldErr = r.err
		}
		return rung, nil
	}
}

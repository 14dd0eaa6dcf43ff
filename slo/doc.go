// Package slo measures a running scenario and judges its objectives.
//
// Probes and Measure functions turn what the cluster and the fixtures report
// into Values; Judge compares them with the scenario's objectives and
// returns report verdicts. The package reads Kubernetes objects and small
// input types (DeviceSample, SinkTotals, DeviceTail, CountSample,
// ReplicaSample, SteadySample) that the scenario runner fills from the
// fixtures' HTTP endpoints; it does not talk to the fixtures itself.
//
// # Values
//
// Every measurement is a Value in the unit its objective is judged in:
// seconds for durations, 0 to 1 for ratios, a number for counts. A
// measurement that could not be taken is Unknown with a reason ("not
// reached 2m0s after the fault's start: still Ready: edge-a"); Judge turns
// it into a failing verdict with value 0 that quotes the reason in
// reports.Verdict.Detail. Nothing is ever NaN.
//
// # Reschedule (RescheduleProbe)
//
// The probe watches Nodes and the Pods of one namespace that match a label
// selector. FaultStarted records a fault occurrence: its start time, its
// target nodes, the selected pods on those nodes, and the number of selected
// pods that are not terminating (the pre-fault count). Each phase is timed
// from the fault's start to the first moment the probe observes its
// condition, at informer-event resolution:
//
//   - nodeNotReady: every target node's Ready condition is False or Unknown.
//   - taintsApplied: every target node carries the NoExecute taint
//     node.kubernetes.io/unreachable or node.kubernetes.io/not-ready.
//   - podsEvicted: every selected pod that was on a target node at the start
//     has a deletionTimestamp or is gone.
//   - podsScheduled: the selected pods bound to non-target nodes, not
//     terminating, number at least the pre-fault count.
//   - total: that many of them are Ready.
//
// A deleted target node counts as not ready and tainted. When no selected
// pod ran on the targets at the start, the pod phases are Unknown: nothing
// was rescheduled, so the objective certifies nothing.
//
// # Availability (MeasureAvailability)
//
// Input is devicesim's /counters, summed over instances and polled
// regularly, and a window (the whole run or one fault occurrence). Counters
// are taken from the last sample at or before each end of the window.
//
//   - successRatio = acknowledged / generated, where generated is the growth
//     of Generated over the window and acknowledged the growth of
//     Acknowledged from the window's start to grace after its end, capped at
//     generated. The grace lets messages in flight when the window closes be
//     acknowledged rather than counted as failures. The cap keeps the ratio
//     at most 1 when a backlog generated before the window is acknowledged
//     inside it; such acknowledgements can still offset as many failures, so
//     start windows when the devices are steady (nothing buffered).
//   - longestOutage is the longest time any single device waited for an
//     acknowledgement while it had messages to send. devicesim reports
//     LongestDeviceWaitMs, that maximum since the engine reset it once the
//     system was steady (waits still open count up to the read time), and
//     DeviceWaitMs, the longest wait still open. The window's value is the
//     largest of LongestDeviceWaitMs at the samples where it exceeds its
//     value at the window's first sample (the wait overlaps the window) and
//     of DeviceWaitMs at every sample; a longer wait that ended before the
//     window only raises that baseline and does not count. Samples after
//     w.End are not used: a wait open at the end counts up to the last
//     sample; one open at the window's start counts whole.
//   - Without the per-device figures (all zero: an older devicesim),
//     longestOutage falls back to the fleet-wide longest time no publish was
//     acknowledged while some were pending, which any device's
//     acknowledgement ends, so devices cut off while others are served go
//     unseen. Where two consecutive samples carry devicesim's LastAckUnixMs,
//     it is millisecond-precise: the time since the last acknowledgement at
//     a sample where messages are buffered, and LongestAckGapMs when that
//     maximum grew inside the window. Otherwise it has sample resolution:
//     the span of consecutive samples between which Acknowledged did not
//     grow although messages were buffered or generated.
//   - minReady is not read from devices: for each rolling-update occurrence
//     the engine watches the rolled fixture's pods from just before the
//     rollout is requested until it is complete (plus a second for the
//     watch to fall quiet) and keeps the fewest that were Running, Ready
//     and not terminating after any single change. A watch that ends early
//     makes it Unknown; so does a rollout that failed.
//
// # Delivery (MeasureDelivery, MeasureCatchUp)
//
// Input is the sink's /summary totals merged over replicas, read after the
// run's traffic has drained, and per device boot the number of messages
// devicesim had acknowledged and the sink's highest received seq + 1.
//
//   - lost = sink lost + sink missing at the end + tail lost, where a boot's
//     tail loss is acknowledged - (highest received seq + 1) when positive:
//     acknowledged messages after the last one the sink saw leave no gap for
//     the sink to count. A device that drops a message from its full buffer
//     leaves a gap the sink counts as lost although it was never
//     acknowledged; such drops lower successRatio as well.
//   - duplicates is the sink's duplicate count; p99Latency its 99th
//     percentile of device-to-sink latency of first deliveries received
//     after steady state. With no such delivery (a pipeline that stalled)
//     the latency is Unknown, never 0 s.
//   - catchUp is the time from a fault's end until its backlog arrived,
//     wherever it was held: the later of the gateways' total queue depth
//     back to ordinary in-flight traffic (MeasureDrain; the engine uses two
//     seconds of the fleet's messages), which sees one zone's backlog that
//     fleet-wide totals hide, and the sink holding as many messages as the
//     devices had had acknowledged at the fault's end (MeasureCatchUp),
//     which sees a backlog held in the broker while the sink was down
//     (Latest). A queue sample is taken only when every gateway the
//     DaemonSets want answered: the total over the gateways that answered
//     would read a cut-off zone's backlog as drained.
//
// # Ground truth of what devices had acknowledged
//
// The tail check needs, for every device boot, how many of its messages had
// been acknowledged. A simulator that cannot be polled (its node cut off
// from the API server, powered off, its pod evicted and deleted) goes on
// being acknowledged by its local gateway, so its last polled reading is
// not enough: whatever it acknowledged after it, and the cloud never
// received, would go uncounted. So every simulator process keeps a ledger
// (devicesim.ParseLedger): one file per process on a hostPath of its node,
// one fixed-width line per device, rewritten in place on every
// acknowledgement before the next one is handled, and synced to disk every
// 200 ms. After the run the engine reads every node's ledgers
// (clusters.Cluster.ReadFiles) and takes, per device boot, the highest
// acknowledged count among the ledgers, the final live reading and the
// last polled reading. A boot known only from a poll, whose node's ledgers
// could not be read or hold no record of it, makes lost Unknown with the
// reason; it is never read as nothing lost.
//
// Remaining limit: a ledger line is written after the acknowledgement
// arrives. On a kind node the write lands in the host kernel's page cache
// at once, so power loss of the node (its container killed) loses nothing.
// On a VM node a power cut loses what was acknowledged in the last sync
// period: at most 200 ms of acknowledgements per device, 0.4 messages at
// the catalog's 2 msg/s. A message acknowledged in that window, lost by
// the gateway as well, would go uncounted.
//
// Peak gives the highest point of a series, e.g. the gateway queue depth.
//
// # Scaling (MeasureScaling)
//
// Input is (time, HPA desired replicas, Ready replicas) samples and the time
// the load rose. initial is the Ready count at the step. scaleOut is the
// time from the step to the first sample with Ready >= desired > initial;
// replicas is the highest Ready count seen.
//
// # Recovery (MeasureRecovery)
//
// Input is the runner's steady-state check over time (every node Ready,
// every fixture's replicas Ready, the sink receiving at the devices' publish
// rate). total is the time from the fault's end until the pipeline was
// steady for good: the first of n consecutive steady samples after the last
// unsteady one before the next fault starts (or the run ends). So one lucky
// sample does not end a recovery, and a fault whose harm shows only after
// it ends (a killed container is Ready for a moment, then in backoff) is
// not judged recovered before the harm showed.
//
// # Judging
//
// Judge reads, for each objective, Measurements.Run when the objective names
// no fault, and every occurrence in Measurements.Faults[fault] when it does.
// For a repeated fault the worst occurrence counts: the highest value for a
// <= objective, the lowest for >=; if any occurrence is unmeasured the
// verdict fails. Each verdict carries the objective's name, kind and metric,
// the value and budget in its unit ("s", "ratio" or "count"), the margin
// (budget - value for <=, value - budget for >=, negative when missed) and
// whether it passed.
package slo

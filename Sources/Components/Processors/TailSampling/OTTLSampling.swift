import Diagnostics
import TraceModel

/// ottl.go: a trace matches when a span condition holds for one of its spans, or a span event
/// condition for one of their events; a failing condition is skipped (and logged) unless the
/// error mode propagates it.
struct OTTLSampling {
    let errorMode: OTTLErrorMode
    let span: [OTTLBoolean]
    let spanEvent: [OTTLBoolean]
    let logger: Logger

    func matches(_ trace: TraceUnderDecision) throws(OTTLError) -> Bool {
        for rs in trace.resourceSpans {
            for scope in rs.scopeSpans {
                var context = OTTLContext(resource: rs.resource, scope: scope.scope)
                for span in scope.spans {
                    context.span = span
                    if try anyHolds(self.span, context) { return true }
                    for event in span.events where !spanEvent.isEmpty {
                        context.event = event
                        if try anyHolds(spanEvent, context) { return true }
                    }
                }
            }
        }
        return false
    }

    private func anyHolds(_ conditions: [OTTLBoolean], _ context: OTTLContext) throws(OTTLError) -> Bool {
        for condition in conditions {
            do throws(OTTLError) {
                if try condition.eval(context) { return true }
            } catch {
                guard errorMode.handle(error, "condition \"\(condition.text)\"", logger: logger) else { throw error }
            }
        }
        return false
    }
}

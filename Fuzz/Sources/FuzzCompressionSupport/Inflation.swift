import Transport

/// A cap from one input byte: small caps (0...63 bytes) often, so the cap's edge is hit, and
/// powers of two up to 16 MiB otherwise.
public func inflationCap(_ byte: UInt8) -> Int {
    byte < 64 ? Int(byte) : 1 << (6 + Int(byte - 64) % 19)
}

/// The checks FuzzInflate and FuzzZstd share; traps when one fails.
public func checkInflation(_ coding: ContentCoding, cap byte: UInt8, body: UnsafeRawBufferPointer) {
    let cap = inflationCap(byte)
    let output: [UInt8]
    do {
        output = try coding.decode(body, limit: cap)
    } catch {
        _ = error.description
        return
    }
    guard output.count <= cap else { fatalError("\(coding): \(output.count) bytes out under a cap of \(cap)") }
    guard (try? coding.decode(body, limit: output.count)) == output else {
        fatalError("\(coding): a cap of exactly \(output.count) bytes does not give the same output")
    }
    if !output.isEmpty {
        do {
            _ = try coding.decode(body, limit: output.count - 1)
            fatalError("\(coding): \(output.count) bytes out under a cap of \(output.count - 1)")
        } catch .tooLarge {
        } catch {
            fatalError("\(coding): a cap one byte short fails with \(error), not tooLarge")
        }
    }
    let again = try? coding.decode(coding.encode(output), limit: output.count)
    guard again == output else { fatalError("\(coding): \(output.count) bytes do not survive compress → inflate") }
}

import Transport

/// A cap from one input byte: small caps (0...63 bytes) often, so the cap's edge is hit, and
/// powers of two up to 1 MiB otherwise. The cap is enforced the same way whatever its size; a
/// larger one only lets bombs into the corpus that cost seconds per input (up to 16 MiB, the
/// rate fell from 8,000 to 300 inputs a second).
public func inflationCap(_ byte: UInt8) -> Int {
    byte < 64 ? Int(byte) : 1 << (6 + Int(byte - 64) % 15)
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

;; Dense float32 kernels of the Perch trainer in WebAssembly SIMD (128-bit, f32x4).
;;
;; Source of truth for src/plain/simd/gemm-wasm.ts, which `node packages/model/scripts/build-wasm.mjs`
;; regenerates from this file (gemm-wasm.test.ts checks the two agree).
;;
;; The three product kernels (logits, gradQ, gradCandidates) are one product C = A·B (+ bias) with
;;   - A (M × R) read in place through two byte strides, A(i, r) at a + i·ai + r·ar, so that the same code
;;     reads Q, G or Gᵀ without copying them;
;;   - B (R × N) first packed into panels of 8 columns (R rows of 32 bytes each, zero padded past column N),
;;     so that the inner loop reads B sequentially;
;;   - a 4 × 8 register block: 8 f32x4 accumulators, per r two loads of B, four splats of A, 8 mul + 8 add.
;;
;; Numerics: every C[i, j] is accumulated in float32 in the order r = 0, 1, …, R−1 starting from +0
;; (c ← c + A(i, r)·B[r, j], the product rounded to float32 and then the sum), then the bias is added.
;; This order does not depend on the blocking, the tails or the engine: plain f32x4.mul and f32x4.add only
;; (no relaxed SIMD, no fused multiply-add), so results are bit-identical everywhere, and identical to
;; the scalar recurrence s = fround(s + fround(a·b)).
;;
;; The fourth kernel, softmaxGrad, turns logits into the softmax cross-entropy gradient in place, with its own
;; float32 exp (see $expRow); its numerics are stated there and beside it, and index.ts's softmaxGradJs
;; repeats them operation by operation (the tests check the two bit for bit).
;;
;; Memory layout (owned by the caller, see index.ts): bytes 0..127 are this module's scratch block
;; (4 rows × 8 floats; softmaxGrad's partial vector in bytes 0..15), bytes 128..175 softmaxGrad's constants
;; (written by every call, see $expRow); every array the caller places must be followed by at least 32 bytes that may be
;; read (a partial panel's bias is read as 8 floats; softmaxGrad reads and writes back up to 12 bytes past
;; S and colSums).
(module
  (import "env" "memory" (memory 1))

  ;; ---------------------------------------------------------------------------------------------------
  ;; 4 × 8 block: C(0..3, 0..7) = Σ_r A(0..3, r)·P[r, 0..7] (+ bias[0..7] if bias ≠ 0).
  ;; a = &A(0, 0); ai = byte stride between the block's A rows (0 repeats one row); ar = byte stride
  ;; along r; p = the panel (R rows × 32 bytes); c = &C(0, 0), ldc = byte stride between C rows.
  (func $block4x8 (param $a i32) (param $ai i32) (param $ar i32) (param $p i32) (param $R i32)
                  (param $c i32) (param $ldc i32) (param $bias i32)
    (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $end i32)
    (local $b0 v128) (local $b1 v128) (local $s v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $a1 (i32.add (local.get $a) (local.get $ai)))
    (local.set $a2 (i32.add (local.get $a1) (local.get $ai)))
    (local.set $a3 (i32.add (local.get $a2) (local.get $ai)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $R) (i32.const 5))))
    (if (i32.lt_u (local.get $p) (local.get $end))
      (then
        (loop $r
          (local.set $b0 (v128.load offset=0 (local.get $p)))
          (local.set $b1 (v128.load offset=16 (local.get $p)))
          (local.set $s (v128.load32_splat (local.get $a)))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
          (local.set $s (v128.load32_splat (local.get $a1)))
          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
          (local.set $s (v128.load32_splat (local.get $a2)))
          (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
          (local.set $s (v128.load32_splat (local.get $a3)))
          (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
          (local.set $a (i32.add (local.get $a) (local.get $ar)))
          (local.set $a1 (i32.add (local.get $a1) (local.get $ar)))
          (local.set $a2 (i32.add (local.get $a2) (local.get $ar)))
          (local.set $a3 (i32.add (local.get $a3) (local.get $ar)))
          (local.set $p (i32.add (local.get $p) (i32.const 32)))
          (br_if $r (i32.lt_u (local.get $p) (local.get $end))))))
    (if (local.get $bias)
      (then
        (local.set $b0 (v128.load offset=0 (local.get $bias)))
        (local.set $b1 (v128.load offset=16 (local.get $bias)))
        (local.set $c00 (f32x4.add (local.get $c00) (local.get $b0)))
        (local.set $c01 (f32x4.add (local.get $c01) (local.get $b1)))
        (local.set $c10 (f32x4.add (local.get $c10) (local.get $b0)))
        (local.set $c11 (f32x4.add (local.get $c11) (local.get $b1)))
        (local.set $c20 (f32x4.add (local.get $c20) (local.get $b0)))
        (local.set $c21 (f32x4.add (local.get $c21) (local.get $b1)))
        (local.set $c30 (f32x4.add (local.get $c30) (local.get $b0)))
        (local.set $c31 (f32x4.add (local.get $c31) (local.get $b1)))))
    (v128.store offset=0 (local.get $c) (local.get $c00))
    (v128.store offset=16 (local.get $c) (local.get $c01))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store offset=0 (local.get $c) (local.get $c10))
    (v128.store offset=16 (local.get $c) (local.get $c11))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store offset=0 (local.get $c) (local.get $c20))
    (v128.store offset=16 (local.get $c) (local.get $c21))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store offset=0 (local.get $c) (local.get $c30))
    (v128.store offset=16 (local.get $c) (local.get $c31)))

  ;; Copies rows × cols floats from the scratch block (rows of 32 bytes) to dst (rows of ldd bytes).
  (func $fromScratch (param $rows i32) (param $cols i32) (param $dst i32) (param $ldd i32)
    (local $i i32) (local $k i32) (local $src i32)
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $src (i32.shl (local.get $i) (i32.const 5)))
        (local.set $k (i32.const 0))
        (block $rowDone
          (loop $col
            (br_if $rowDone (i32.ge_u (local.get $k) (local.get $cols)))
            (f32.store (i32.add (local.get $dst) (i32.shl (local.get $k) (i32.const 2)))
                       (f32.load (i32.add (local.get $src) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $col)))
        (local.set $dst (i32.add (local.get $dst) (local.get $ldd)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row))))

  ;; ---------------------------------------------------------------------------------------------------
  ;; C (M × N, rows ldc bytes apart) = A·B (+ bias) with B packed at p (see $packRows / $packCols).
  ;; Rows are taken in groups of mb (a multiple of 4): for each group, every panel, then the group's
  ;; blocks of 4 rows. mb ≥ M runs panel by panel over all rows (the panel stays in L1 while A streams);
  ;; mb = 4 runs block row by block row (the A rows stay in L1 while the panels stream).
  ;; The last 1..3 rows are done one at a time (a 4 × 8 block of one repeated row, into the scratch),
  ;; and a panel narrower than 8 columns goes through the scratch too.
  (func $gemm (param $M i32) (param $N i32) (param $R i32) (param $a i32) (param $ai i32) (param $ar i32)
              (param $p i32) (param $c i32) (param $ldc i32) (param $bias i32) (param $mb i32)
    (local $i0 i32) (local $iEnd i32) (local $M4 i32) (local $i i32) (local $j i32) (local $w i32)
    (local $pj i32) (local $biasj i32) (local $panelBytes i32) (local $ai4 i32) (local $ldc4 i32)
    (local $ai1 i32) (local $cij i32)
    (local.set $M4 (i32.and (local.get $M) (i32.const -4)))
    (local.set $panelBytes (i32.shl (local.get $R) (i32.const 5)))
    (local.set $ai4 (i32.shl (local.get $ai) (i32.const 2)))
    (local.set $ldc4 (i32.shl (local.get $ldc) (i32.const 2)))
    ;; full blocks of 4 rows, in groups of mb rows
    (block $groupsDone
      (loop $group
        (br_if $groupsDone (i32.ge_u (local.get $i0) (local.get $M4)))
        (local.set $iEnd (i32.add (local.get $i0) (local.get $mb)))
        (if (i32.gt_u (local.get $iEnd) (local.get $M4)) (then (local.set $iEnd (local.get $M4))))
        (local.set $j (i32.const 0))
        (local.set $pj (local.get $p))
        (block $panelsDone
          (loop $panel
            (br_if $panelsDone (i32.ge_u (local.get $j) (local.get $N)))
            (local.set $w (i32.sub (local.get $N) (local.get $j)))
            (local.set $biasj (select (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))
                                      (i32.const 0) (local.get $bias)))
            (local.set $i (local.get $i0))
            (local.set $cij (i32.add (local.get $c)
                                     (i32.add (i32.mul (local.get $i) (local.get $ldc))
                                              (i32.shl (local.get $j) (i32.const 2)))))
            (block $rowsDone
              (loop $rows
                (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $iEnd)))
                (if (i32.ge_u (local.get $w) (i32.const 8))
                  (then
                    (call $block4x8 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $ai)))
                                    (local.get $ai) (local.get $ar) (local.get $pj) (local.get $R)
                                    (local.get $cij) (local.get $ldc) (local.get $biasj)))
                  (else
                    (call $block4x8 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $ai)))
                                    (local.get $ai) (local.get $ar) (local.get $pj) (local.get $R)
                                    (i32.const 0) (i32.const 32) (local.get $biasj))
                    (call $fromScratch (i32.const 4) (local.get $w) (local.get $cij) (local.get $ldc))))
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (local.set $cij (i32.add (local.get $cij) (local.get $ldc4)))
                (br $rows)))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (local.set $pj (i32.add (local.get $pj) (local.get $panelBytes)))
            (br $panel)))
        (local.set $i0 (local.get $iEnd))
        (br $group)))
    ;; the last M mod 4 rows, one at a time
    (local.set $i (local.get $M4))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $i) (local.get $M)))
        (local.set $j (i32.const 0))
        (local.set $pj (local.get $p))
        (block $tailPanelsDone
          (loop $tailPanel
            (br_if $tailPanelsDone (i32.ge_u (local.get $j) (local.get $N)))
            (local.set $w (i32.sub (local.get $N) (local.get $j)))
            (if (i32.gt_u (local.get $w) (i32.const 8)) (then (local.set $w (i32.const 8))))
            (local.set $biasj (select (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))
                                      (i32.const 0) (local.get $bias)))
            (call $block4x8 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $ai)))
                            (i32.const 0) (local.get $ar) (local.get $pj) (local.get $R)
                            (i32.const 0) (i32.const 32) (local.get $biasj))
            (call $fromScratch (i32.const 1) (local.get $w)
                               (i32.add (local.get $c) (i32.add (i32.mul (local.get $i) (local.get $ldc))
                                                                (i32.shl (local.get $j) (i32.const 2))))
                               (local.get $ldc))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (local.set $pj (i32.add (local.get $pj) (local.get $panelBytes)))
            (br $tailPanel)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail))))

  ;; ---------------------------------------------------------------------------------------------------
  ;; Packs B (R × N, row-major, rows ldb bytes apart, at src) into panels of 8 columns at dst:
  ;; panel k holds rows r = 0..R−1 of columns 8k..8k+7, 32 bytes per row, zeros past column N.
  (func $packRows (param $src i32) (param $R i32) (param $N i32) (param $ldb i32) (param $dst i32)
    (local $j i32) (local $w i32) (local $r i32) (local $s i32) (local $t i32)
    (block $panelsDone
      (loop $panel
        (br_if $panelsDone (i32.ge_u (local.get $j) (local.get $N)))
        (local.set $w (i32.sub (local.get $N) (local.get $j)))
        (local.set $s (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $r (i32.const 0))
        (if (i32.ge_u (local.get $w) (i32.const 8))
          (then
            (block $fullDone
              (loop $full
                (br_if $fullDone (i32.ge_u (local.get $r) (local.get $R)))
                (v128.store offset=0 (local.get $dst) (v128.load offset=0 (local.get $s)))
                (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $s)))
                (local.set $s (i32.add (local.get $s) (local.get $ldb)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                (local.set $r (i32.add (local.get $r) (i32.const 1)))
                (br $full))))
          (else
            (block $partDone
              (loop $part
                (br_if $partDone (i32.ge_u (local.get $r) (local.get $R)))
                (v128.store offset=0 (local.get $dst) (v128.const i32x4 0 0 0 0))
                (v128.store offset=16 (local.get $dst) (v128.const i32x4 0 0 0 0))
                (local.set $t (i32.const 0))
                (block $lanesDone
                  (loop $lanes
                    (br_if $lanesDone (i32.ge_u (local.get $t) (local.get $w)))
                    (f32.store (i32.add (local.get $dst) (i32.shl (local.get $t) (i32.const 2)))
                               (f32.load (i32.add (local.get $s) (i32.shl (local.get $t) (i32.const 2)))))
                    (local.set $t (i32.add (local.get $t) (i32.const 1)))
                    (br $lanes)))
                (local.set $s (i32.add (local.get $s) (local.get $ldb)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                (local.set $r (i32.add (local.get $r) (i32.const 1)))
                (br $part)))))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $panel))))

  ;; Packs B = Tᵀ, for T (N × R, row-major, rows ldt bytes apart, at src), into panels of 8 columns at dst
  ;; (the layout of $packRows): B[r, j] = T[j, r].
  (func $packCols (param $src i32) (param $R i32) (param $N i32) (param $ldt i32) (param $dst i32)
    (local $j i32) (local $t i32) (local $oEnd i32) (local $s i32) (local $o i32) (local $end i32)
    (local.set $end (i32.shl (local.get $R) (i32.const 5)))
    (block $panelsDone
      (loop $panel
        (br_if $panelsDone (i32.ge_u (local.get $j) (local.get $N)))
        (local.set $t (i32.const 0))
        (loop $lane
          ;; lane t of every row of this panel: T[j + t, 0..R−1], or zeros past column N
          (local.set $o (i32.add (local.get $dst) (i32.shl (local.get $t) (i32.const 2))))
          (local.set $oEnd (i32.add (local.get $o) (local.get $end)))
          (if (i32.lt_u (i32.add (local.get $j) (local.get $t)) (local.get $N))
            (then
              (local.set $s (i32.add (local.get $src)
                                     (i32.mul (i32.add (local.get $j) (local.get $t)) (local.get $ldt))))
              (block $colDone
                (loop $col
                  (br_if $colDone (i32.ge_u (local.get $o) (local.get $oEnd)))
                  (f32.store (local.get $o) (f32.load (local.get $s)))
                  (local.set $s (i32.add (local.get $s) (i32.const 4)))
                  (local.set $o (i32.add (local.get $o) (i32.const 32)))
                  (br $col))))
            (else
              (block $zeroDone
                (loop $zero
                  (br_if $zeroDone (i32.ge_u (local.get $o) (local.get $oEnd)))
                  (f32.store (local.get $o) (f32.const 0))
                  (local.set $o (i32.add (local.get $o) (i32.const 32)))
                  (br $zero)))))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br_if $lane (i32.lt_u (local.get $t) (i32.const 8))))
        (local.set $dst (i32.add (local.get $dst) (local.get $end)))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $panel))))

  ;; Bytes of packed panels a kernel needs at `pack`: 32·⌈N/8⌉·R.
  (func (export "packBytes") (param $R i32) (param $N i32) (result i32)
    (i32.mul (i32.shl (i32.shr_u (i32.add (local.get $N) (i32.const 7)) (i32.const 3)) (i32.const 5))
             (local.get $R)))

  ;; ---------------------------------------------------------------------------------------------------
  ;; S[q, c] = Q[q]·Rc[c] + bc[c]   (Q: P × d, Rc: Cn × d, bc: Cn, S: P × Cn; byte addresses)
  ;; B = Rcᵀ (d × Cn) packed at `pack` (packBytes(d, Cn) bytes).
  (func (export "logits") (param $q i32) (param $rc i32) (param $bc i32) (param $s i32)
                          (param $P i32) (param $Cn i32) (param $d i32) (param $pack i32)
    (call $packCols (local.get $rc) (local.get $d) (local.get $Cn) (i32.shl (local.get $d) (i32.const 2))
                    (local.get $pack))
    (call $gemm (local.get $P) (local.get $Cn) (local.get $d)
                (local.get $q) (i32.shl (local.get $d) (i32.const 2)) (i32.const 4)
                (local.get $pack) (local.get $s) (i32.shl (local.get $Cn) (i32.const 2)) (local.get $bc)
                (i32.const 0x7ffffffc)))

  ;; dQ[q] = Σ_c G[q, c]·Rc[c]   (G: P × Cn, Rc: Cn × d, dQ: P × d, overwritten)
  ;; B = Rc packed at `pack` (packBytes(Cn, d) bytes).
  (func (export "gradQ") (param $g i32) (param $rc i32) (param $dq i32)
                         (param $P i32) (param $Cn i32) (param $d i32) (param $pack i32)
    (call $packRows (local.get $rc) (local.get $Cn) (local.get $d) (i32.shl (local.get $d) (i32.const 2))
                    (local.get $pack))
    (call $gemm (local.get $P) (local.get $d) (local.get $Cn)
                (local.get $g) (i32.shl (local.get $Cn) (i32.const 2)) (i32.const 4)
                (local.get $pack) (local.get $dq) (i32.shl (local.get $d) (i32.const 2)) (i32.const 0)
                (i32.const 4)))

  ;; dRc[c] = Σ_q G[q, c]·Q[q]   (G: P × Cn, Q: P × d, dRc: Cn × d, overwritten)
  ;; A = Gᵀ read in place; B = Q packed at `pack` (packBytes(P, d) bytes).
  (func (export "gradCandidates") (param $g i32) (param $q i32) (param $drc i32)
                                  (param $P i32) (param $Cn i32) (param $d i32) (param $pack i32)
    (call $packRows (local.get $q) (local.get $P) (local.get $d) (i32.shl (local.get $d) (i32.const 2))
                    (local.get $pack))
    (call $gemm (local.get $Cn) (local.get $d) (local.get $P)
                (local.get $g) (i32.const 4) (i32.shl (local.get $Cn) (i32.const 2))
                (local.get $pack) (local.get $drc) (i32.shl (local.get $d) (i32.const 2)) (i32.const 0)
                (i32.const 4)))

  ;; ---------------------------------------------------------------------------------------------------
  ;; S[i] ← e_i = exp(S[i] − m) for i < n (n ≥ 1; S at p ≥ 256, in place); returns z = Σ e_i. Reads and
  ;; writes back (unchanged) up to 3 floats past S[n − 1]. Uses bytes 0..15 (the partial vector) and the
  ;; 48 bytes at k (its constants; softmaxGrad and exp pass k = 128). For |m| < 2^26 and S[i] ≤ m + 88.
  ;;
  ;; exp(a), a = x − m: x is first raised to m − 110 (exp(−110) rounds to 0, and −∞ becomes finite); a is
  ;; rounded to float32 and its rounding error err recovered exactly (TwoSum), so that a + err = x − m.
  ;; n = round(a·log2 e) (ties to even, by adding 1.5·2^23, whose float's low bits then hold n);
  ;; r = (a − n·C1) − n·C2 + err with ln 2 ≈ C1 + C2 (C1 = 0.693359375: n·C1 is exact, a − n·C1 too);
  ;; e^r ≈ 1 + r + r²·Q(r), Q of degree 4 (minimax for the relative error on |r| ≤ 0.354: 5.7e-9 with
  ;; these float32 coefficients); times 2^n as 2^h · 2^(n − h), h = floor(n/2), two normal factors for
  ;; n ≥ −160, so that small results round to subnormals once and underflow to 0.
  ;; z: lane k sums the e_i with i ≡ k (mod 4) in order in float64 from +0 (lanes 0, 1 and lanes 2, 3 in
  ;; two f64x2), then z = float32((z0 + z1) + (z2 + z3)).
  ;; The last n mod 4 values go through the loop as one vector in bytes 0..15, padded with −∞ (e = +0).
  ;; Plain f32x4 / f64x2 arithmetic (no FMA, no relaxed SIMD): the same bits on every engine and machine.
  ;; The constants are splat from memory: as v128.const, V8 rebuilds each in every iteration.
  (func $expRow (param $p i32) (param $n i32) (param $m f32) (param $k i32) (result f32)
    (local $end i32) (local $tail i32) (local $mask v128)
    (local $x v128) (local $a v128) (local $b v128) (local $err v128) (local $j v128) (local $t v128)
    (local $r v128) (local $y v128) (local $ni v128) (local $h v128) (local $lo v128) (local $hi v128)
    (f32.store offset=0 (local.get $k) (f32.const 1.44269504))
    (f32.store offset=4 (local.get $k) (f32.const 12582912))
    (f32.store offset=8 (local.get $k) (f32.const 0.693359375))
    (f32.store offset=12 (local.get $k) (f32.const -2.12194440e-4))
    (f32.store offset=16 (local.get $k) (f32.const 0.001381161157041788))
    (f32.store offset=20 (local.get $k) (f32.const 0.008370134979486465))
    (f32.store offset=24 (local.get $k) (f32.const 0.04166853055357933))
    (f32.store offset=28 (local.get $k) (f32.const 0.16666509211063385))
    (f32.store offset=32 (local.get $k) (f32.const 0.4999999403953552))
    (f32.store offset=36 (local.get $k) (f32.const 1))
    (f32.store offset=40 (local.get $k) (local.get $m))
    (f32.store offset=44 (local.get $k) (f32.add (local.get $m) (f32.const -110)))
    (local.set $tail (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (local.set $end (local.get $tail))
    (local.set $mask (i32x4.lt_s (v128.const i32x4 0 1 2 3) (i32x4.splat (i32.and (local.get $n) (i32.const 3)))))
    (block $done
      (loop $v
        (if (i32.ge_u (local.get $p) (local.get $end))
          (then
            ;; after the full vectors, the partial one (if any) in bytes 0..15; after that, done
            (br_if $done (i32.eq (local.get $end) (i32.const 16)))
            (br_if $done (i32.eqz (v128.any_true (local.get $mask))))
            (v128.store (i32.const 0) (v128.bitselect (v128.load (local.get $tail))
                                                      (v128.const f32x4 -inf -inf -inf -inf) (local.get $mask)))
            (local.set $p (i32.const 0))
            (local.set $end (i32.const 16))))
        (local.set $x (f32x4.pmax (v128.load (local.get $p)) (v128.load32_splat offset=44 (local.get $k))))
        ;; a + err = x − m exactly
        (local.set $a (f32x4.sub (local.get $x) (v128.load32_splat offset=40 (local.get $k))))
        (local.set $b (f32x4.sub (local.get $a) (local.get $x)))
        (local.set $err (f32x4.sub (f32x4.sub (local.get $x) (f32x4.sub (local.get $a) (local.get $b)))
                                   (f32x4.add (v128.load32_splat offset=40 (local.get $k)) (local.get $b))))
        ;; j = a·log2 e + 1.5·2^23, t = n = j − 1.5·2^23
        (local.set $j (f32x4.add (f32x4.mul (local.get $a) (v128.load32_splat offset=0 (local.get $k))) (v128.load32_splat offset=4 (local.get $k))))
        (local.set $t (f32x4.sub (local.get $j) (v128.load32_splat offset=4 (local.get $k))))
        (local.set $r (f32x4.add (f32x4.sub (f32x4.sub (local.get $a) (f32x4.mul (local.get $t) (v128.load32_splat offset=8 (local.get $k))))
                                            (f32x4.mul (local.get $t) (v128.load32_splat offset=12 (local.get $k))))
                                 (local.get $err)))
        (local.set $y (f32x4.add (f32x4.mul (local.get $r) (v128.load32_splat offset=16 (local.get $k))) (v128.load32_splat offset=20 (local.get $k))))
        (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (v128.load32_splat offset=24 (local.get $k))))
        (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (v128.load32_splat offset=28 (local.get $k))))
        (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (v128.load32_splat offset=32 (local.get $k))))
        (local.set $y (f32x4.add (f32x4.add (f32x4.mul (local.get $y) (f32x4.mul (local.get $r) (local.get $r)))
                                            (local.get $r))
                                 (v128.load32_splat offset=36 (local.get $k))))
        ;; · 2^h · 2^(n − h): the factors' bits are (h << 23) + bits(1.0) and ((n − h) << 23) + bits(1.0)
        (local.set $ni (i32x4.sub (local.get $j) (v128.load32_splat offset=4 (local.get $k))))
        (local.set $h (i32x4.shr_s (local.get $ni) (i32.const 1)))
        (local.set $y (f32x4.mul (local.get $y) (i32x4.add (i32x4.shl (local.get $h) (i32.const 23)) (v128.load32_splat offset=36 (local.get $k)))))
        (local.set $y (f32x4.mul (local.get $y)
                                 (i32x4.add (i32x4.shl (i32x4.sub (local.get $ni) (local.get $h)) (i32.const 23)) (v128.load32_splat offset=36 (local.get $k)))))
        (v128.store (local.get $p) (local.get $y))
        (local.set $lo (f64x2.add (local.get $lo) (f64x2.promote_low_f32x4 (local.get $y))))
        (local.set $hi (f64x2.add (local.get $hi)
                                  (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7
                                                                          (local.get $y) (local.get $y)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $v)))
    ;; the partial vector back in place (the floats past n unchanged)
    (if (v128.any_true (local.get $mask))
      (then (v128.store (local.get $tail) (v128.bitselect (v128.load (i32.const 0)) (v128.load (local.get $tail))
                                                          (local.get $mask)))))
    (f32.demote_f64 (f64.add (f64.add (f64x2.extract_lane 0 (local.get $lo)) (f64x2.extract_lane 1 (local.get $lo)))
                             (f64.add (f64x2.extract_lane 0 (local.get $hi)) (f64x2.extract_lane 1 (local.get $hi))))))

  ;; x[i] ← exp(x[i]) for i < n (n ≥ 1; x at p ≥ 256, in place), by $expRow's exp (for the tests).
  (func (export "exp") (param $p i32) (param $n i32)
    (drop (call $expRow (local.get $p) (local.get $n) (f32.const 0) (i32.const 128))))

  ;; In place over S (P × Cn, Cn ≥ 1): row q ← (softmax(S[q]) − onehot(tgt[q]))·invP, and stats[q] = (mx, z),
  ;; the row's max and Σ_c exp(S[q, c] − mx), from which the caller forms the loss; if cols ≠ 0,
  ;; cols[c] ← cols[c] + S[q, c] (the new S) for q = 0, 1, …, P − 1 in order.
  ;; Per row: mx = the max (lane k keeps the max of the c ≡ k (mod 4) in order, replacing it by a larger
  ;; value only, then pairs (0, 1), (2, 3), then the two); e and z by $expRow; iz = invP / z; then
  ;; S[q, c] = e_c·iz, and S[q, t] = e_t·iz − invP for the target t (set after the others, with its column
  ;; sum: the same float32 operations as subtracting it in the vector). All in float32.
  (func (export "softmaxGrad") (param $s i32) (param $tgt i32) (param $P i32) (param $Cn i32)
                               (param $invP f32) (param $cols i32) (param $stats i32)
    (local $q i32) (local $end i32) (local $tail i32) (local $p i32) (local $cp i32) (local $mx f32)
    (local $z f32) (local $ta i32) (local $ca i32) (local $c0 f32) (local $g f32)
    (local $m v128) (local $x v128) (local $izv v128) (local $c v128) (local $mask v128)
    (local.set $mask (i32x4.lt_s (v128.const i32x4 0 1 2 3) (i32x4.splat (i32.and (local.get $Cn) (i32.const 3)))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $q) (local.get $P)))
        (local.set $tail (i32.add (local.get $s) (i32.shl (i32.and (local.get $Cn) (i32.const -4)) (i32.const 2))))
        (local.set $end (i32.add (local.get $s) (i32.shl (local.get $Cn) (i32.const 2))))
        ;; 1. the row's max (the partial vector's lanes past Cn as −∞)
        (local.set $m (v128.const f32x4 -inf -inf -inf -inf))
        (local.set $p (local.get $s))
        (block $maxDone
          (loop $max
            (br_if $maxDone (i32.ge_u (local.get $p) (local.get $tail)))
            (local.set $m (f32x4.pmax (local.get $m) (v128.load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (br $max)))
        (local.set $m (f32x4.pmax (local.get $m) (v128.bitselect (v128.load (local.get $tail))
                                                                 (v128.const f32x4 -inf -inf -inf -inf) (local.get $mask))))
        (local.set $m (f32x4.pmax (local.get $m)
                                  (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $m) (local.get $m))))
        (local.set $m (f32x4.pmax (local.get $m)
                                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $m) (local.get $m))))
        (local.set $mx (f32x4.extract_lane 0 (local.get $m)))
        ;; 2. e = exp(S − mx), z = Σ e
        (local.set $z (call $expRow (local.get $s) (local.get $Cn) (local.get $mx) (i32.const 128)))
        (f32.store (local.get $stats) (local.get $mx))
        (f32.store offset=4 (local.get $stats) (local.get $z))
        ;; 3. S = e·(invP / z) and the column sums, then the target's − invP
        (local.set $izv (f32x4.splat (f32.div (local.get $invP) (local.get $z))))
        (local.set $ta (i32.add (local.get $s) (i32.shl (i32.load (local.get $tgt)) (i32.const 2))))
        (local.set $ca (i32.add (local.get $cols) (i32.shl (i32.load (local.get $tgt)) (i32.const 2))))
        (if (local.get $cols) (then (local.set $c0 (f32.load (local.get $ca)))))
        (local.set $p (local.get $s))
        (local.set $cp (local.get $cols))
        (block $scaleDone
          (loop $scale
            (br_if $scaleDone (i32.ge_u (local.get $p) (local.get $tail)))
            (local.set $x (f32x4.mul (v128.load (local.get $p)) (local.get $izv)))
            (v128.store (local.get $p) (local.get $x))
            (if (local.get $cols)
              (then
                (v128.store (local.get $cp) (f32x4.add (v128.load (local.get $cp)) (local.get $x)))
                (local.set $cp (i32.add (local.get $cp) (i32.const 16)))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (br $scale)))
        (if (v128.any_true (local.get $mask))
          (then
            (local.set $c (v128.load (local.get $tail)))
            (local.set $x (f32x4.mul (local.get $c) (local.get $izv)))
            (v128.store (local.get $tail) (v128.bitselect (local.get $x) (local.get $c) (local.get $mask)))
            (if (local.get $cols)
              (then
                (local.set $c (v128.load (local.get $cp)))
                (v128.store (local.get $cp) (v128.bitselect (f32x4.add (local.get $c) (local.get $x)) (local.get $c)
                                                            (local.get $mask)))))))
        (local.set $g (f32.sub (f32.load (local.get $ta)) (local.get $invP)))
        (f32.store (local.get $ta) (local.get $g))
        (if (local.get $cols) (then (f32.store (local.get $ca) (f32.add (local.get $c0) (local.get $g)))))
        (local.set $s (local.get $end))
        (local.set $tgt (i32.add (local.get $tgt) (i32.const 4)))
        (local.set $stats (i32.add (local.get $stats) (i32.const 8)))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $row)))))

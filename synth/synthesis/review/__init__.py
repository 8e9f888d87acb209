"""The review queue: a coordinator confirms or corrects the concern assignments synth is least sure of.

    corrections.py  the `review_corrections` table; applying corrections over any annotation; corrected spans
                    as labelled examples the annotator learns from
    queue.py        each assignment's confidence (seeded classifier, form learner) and the queue's order
"""

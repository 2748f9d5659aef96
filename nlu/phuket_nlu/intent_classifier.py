"""Rasa intent classifier: logistic regression on all sentence features, blended with the nearest
training examples in sentence-embedding space.

The linear part is Rasa's `LogisticRegressionClassifier`'s model (softmax over intents, L2 penalty,
classes weighted by their inverse frequency), fitted differently. Rasa's copy builds its matrix
with one `hstack` per message and hands scikit-learn a single sparse matrix in which the 512 dense
sentence-embedding columns are stored as sparse entries; on our ~16,000 examples that took 14 s to
build and 20-40 s to fit. Here the sparse block (count features) stays sparse, the dense block
(sentence embeddings) stays a dense array, and L-BFGS minimizes the same objective with one sparse
and one BLAS product per step.

A linear model weighs words; a message whose words lean elsewhere ("酒店着火了": hotel, which
tourists mostly ask about out of scope, on fire) can still mean what its closest training
examples mean. So the intent probabilities are blended with a vote of the k training examples
nearest in embedding space (cosine), weighted by similarity: held out, +1 point of macro-F1, and
no SOS of the must-not-miss list filed elsewhere.

Everything is stored as NumPy arrays (`.npz`, no pickle).
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text, Tuple, Type

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.optimize import minimize
from scipy.special import logsumexp

logger = logging.getLogger(__name__)

WEIGHTS_FILE = "weights.npz"


class SoftmaxModel:
    """Weights of a multinomial logistic regression over [sparse | dense] features."""

    def __init__(self, intents: np.ndarray, sparse: np.ndarray, dense: np.ndarray, bias: np.ndarray) -> None:
        self.intents = intents
        self.sparse = sparse
        self.dense = dense
        self.bias = bias

    def logits(self, sparse: scipy.sparse.csr_matrix, dense: np.ndarray) -> np.ndarray:
        return np.asarray(sparse @ self.sparse) + dense @ self.dense + self.bias

    def probabilities(self, sparse: scipy.sparse.csr_matrix, dense: np.ndarray) -> np.ndarray:
        logits = self.logits(sparse, dense)
        return np.exp(logits - logsumexp(logits, axis=1, keepdims=True))

    @classmethod
    def fit(
        cls,
        sparse: scipy.sparse.csr_matrix,
        dense: np.ndarray,
        labels: List[str],
        *,
        c: float,
        max_iter: int,
        tol: float,
    ) -> SoftmaxModel:
        """Minimize ½‖W‖² + C·Σᵢ wᵢ·cross-entropyᵢ (scikit-learn's objective; the bias is free).

        wᵢ = n / (classes · examples of i's class), scikit-learn's `class_weight="balanced"`.
        Products run in float32 (twice as fast, the same scores); L-BFGS keeps float64.
        """
        intents, targets = np.unique(np.asarray(labels, dtype=str), return_inverse=True)
        n, k = len(targets), len(intents)
        counts = np.bincount(targets, minlength=k)
        weights = ((n / (k * counts))[targets] * c).astype(np.float32)[:, np.newaxis]
        one_hot = np.zeros((n, k), dtype=np.float32)
        one_hot[np.arange(n), targets] = 1.0
        sparse = scipy.sparse.csr_matrix(sparse, dtype=np.float32)
        sparse_t = sparse.T.tocsr()
        dense = np.ascontiguousarray(dense, dtype=np.float32)
        dense_t = np.ascontiguousarray(dense.T)
        sparse_size, dense_size = sparse.shape[1] * k, dense.shape[1] * k
        penalized = sparse_size + dense_size
        rows = np.arange(n)

        def unpack(theta: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
            return (
                theta[:sparse_size].reshape(-1, k),
                theta[sparse_size:penalized].reshape(-1, k),
                theta[penalized:],
            )

        def objective(theta: np.ndarray) -> Tuple[float, np.ndarray]:
            w_sparse, w_dense, bias = unpack(theta.astype(np.float32))
            logits = np.asarray(sparse @ w_sparse)
            logits += dense @ w_dense
            logits += bias
            top = logits.max(axis=1, keepdims=True)
            exp = np.exp(logits - top)
            total = exp.sum(axis=1, keepdims=True)
            cross_entropy = (top + np.log(total))[:, 0] - logits[rows, targets]
            loss = float(weights[:, 0] @ cross_entropy) + 0.5 * float(theta[:penalized] @ theta[:penalized])
            # The gradient of the weighted cross-entropy with respect to the logits.
            exp /= total
            exp -= one_hot
            exp *= weights
            gradient = np.concatenate(
                [np.asarray(sparse_t @ exp).ravel(), (dense_t @ exp).ravel(), exp.sum(axis=0)]
            ).astype(np.float64)
            gradient[:penalized] += theta[:penalized]
            return loss, gradient

        result = minimize(
            objective,
            np.zeros(penalized + k),
            jac=True,
            method="L-BFGS-B",
            # A history of 5 steps instead of 10: the same scores, a fifth less time (the
            # optimizer's own bookkeeping on ~230,000 weights costs as much as the model).
            options={"maxiter": max_iter, "gtol": tol, "maxcor": 5},
        )
        logger.info(
            "intent classifier: %d examples, %d intents, %d sparse + %d dense features, %d iterations (%s)",
            n,
            k,
            sparse.shape[1],
            dense.shape[1],
            result.nit,
            result.message,
        )
        w_sparse, w_dense, bias = unpack(result.x.astype(np.float32))
        return cls(intents, w_sparse, w_dense, bias)


class NearestExamples:
    """The training examples' embeddings (unit length) and intents, for a similarity-weighted vote."""

    def __init__(self, embeddings: np.ndarray, intents: np.ndarray) -> None:
        self.embeddings = embeddings.astype(np.float32)
        self.intents = intents.astype(np.int64)

    @classmethod
    def of(cls, dense: np.ndarray, labels: List[str], intents: np.ndarray) -> NearestExamples:
        index = {str(name): i for i, name in enumerate(intents)}
        return cls(_unit(dense), np.array([index[label] for label in labels]))

    def vote(self, dense: np.ndarray, classes: int, k: int, temperature: float) -> np.ndarray:
        """Per row of `dense`, intent probabilities from the k nearest examples.

        Each neighbour counts exp((similarity - best similarity) / temperature): the closest
        examples decide, near-ties share.
        """
        similarities = _unit(dense) @ self.embeddings.T
        k = min(k, similarities.shape[1])
        nearest = np.argpartition(-similarities, k - 1, axis=1)[:, :k]
        best = np.take_along_axis(similarities, nearest, axis=1)
        weights = np.exp((best - best.max(axis=1, keepdims=True)) / temperature)
        votes = np.zeros((len(dense), classes))
        np.add.at(votes, (np.arange(len(dense))[:, np.newaxis], self.intents[nearest]), weights)
        return votes / votes.sum(axis=1, keepdims=True)


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors, dtype=np.float32) / np.maximum(norms, 1e-12)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class BlendedIntentClassifier(IntentClassifier, GraphComponent):
    """Logistic regression on all sentence features, blended with a vote of the nearest examples."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Inverse of the L2 regularization strength (scikit-learn's C).
            "C": 1.0,
            "max_iter": 200,
            # L-BFGS stops when the largest gradient entry is below this.
            "tol": 1e-4,
            # The vote of the training examples nearest in dense-feature (embedding) space:
            # how many vote, how much the vote counts against the linear model (0: no vote),
            # and how sharply the closest outvote the others.
            "neighbours": 10,
            "neighbour_weight": 0.3,
            "neighbour_temperature": 0.05,
            # How many intents the parse result lists (0: all).
            "ranking_length": LABEL_RANKING_LENGTH,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Optional[SoftmaxModel] = None,
        examples: Optional[NearestExamples] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model
        self._examples = examples

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> BlendedIntentClassifier:
        return cls(config, model_storage, resource)

    @staticmethod
    def _features(messages: List[Message]) -> Tuple[scipy.sparse.csr_matrix, np.ndarray]:
        """The text's sentence features of all messages: one sparse and one dense matrix.

        Every message went through the same featurizers in the same order, so the i-th sparse
        (dense) sentence feature of each comes from the same featurizer: those rows are stacked
        once per featurizer (`Message.get_sparse_features` would join them message by message).
        """
        sparse: List[List[scipy.sparse.spmatrix]] = []
        dense: List[List[np.ndarray]] = []
        for message in messages:
            sparse_index = dense_index = 0
            for feature in message.features:
                if feature.type != FEATURE_TYPE_SENTENCE or feature.attribute != TEXT:
                    continue
                if feature.is_sparse():
                    if sparse_index == len(sparse):
                        sparse.append([])
                    sparse[sparse_index].append(feature.features)
                    sparse_index += 1
                else:
                    if dense_index == len(dense):
                        dense.append([])
                    dense[dense_index].append(feature.features)
                    dense_index += 1
        if any(len(rows) != len(messages) for rows in [*sparse, *dense]):
            raise ValueError("the messages did not all go through the same featurizers")
        sparse_blocks = [scipy.sparse.vstack(rows, format="csr") for rows in sparse]
        dense_blocks = [np.vstack(rows) for rows in dense]
        return (
            scipy.sparse.hstack(sparse_blocks, format="csr")
            if sparse_blocks
            else scipy.sparse.csr_matrix((len(messages), 0)),
            np.hstack(dense_blocks).astype(np.float32) if dense_blocks else np.zeros((len(messages), 0)),
        )

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            logger.debug("no intent examples: the intent classifier is not trained")
            return self._resource
        sparse, dense = self._features(examples)
        labels = [str(e.get(INTENT)) for e in examples]
        self._model = SoftmaxModel.fit(
            sparse,
            dense,
            labels,
            c=float(self._config["C"]),
            max_iter=int(self._config["max_iter"]),
            tol=float(self._config["tol"]),
        )
        if dense.shape[1] and float(self._config["neighbour_weight"]) > 0:
            self._examples = NearestExamples.of(dense, labels, self._model.intents)
        self.persist()
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        if self._model is None:
            return messages
        sparse, dense = self._features(messages)
        probabilities = self._model.probabilities(sparse, dense)
        if self._examples is not None:
            weight = float(self._config["neighbour_weight"])
            votes = self._examples.vote(
                dense,
                len(self._model.intents),
                int(self._config["neighbours"]),
                float(self._config["neighbour_temperature"]),
            )
            probabilities = (1 - weight) * probabilities + weight * votes
        limit = int(self._config["ranking_length"])
        for message, row in zip(messages, probabilities, strict=True):
            order = np.argsort(-row)
            ranking = [
                {"name": str(self._model.intents[i]), "confidence": float(row[i])}
                for i in (order[:limit] if limit > 0 else order)
            ]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    def persist(self) -> None:
        if self._model is None:
            return
        with self._model_storage.write_to(self._resource) as directory:
            arrays = {
                "intents": self._model.intents,
                "sparse": self._model.sparse,
                "dense": self._model.dense,
                "bias": self._model.bias,
            }
            if self._examples is not None:
                # Half precision: the vote only ranks similarities (16 MB instead of 32).
                arrays["examples"] = self._examples.embeddings.astype(np.float16)
                arrays["example_intents"] = self._examples.intents.astype(np.int16)
            np.savez(directory / WEIGHTS_FILE, **arrays)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> BlendedIntentClassifier:
        try:
            with (
                model_storage.read_from(resource) as directory,
                np.load(directory / WEIGHTS_FILE, allow_pickle=False) as stored,
            ):
                model = SoftmaxModel(stored["intents"], stored["sparse"], stored["dense"], stored["bias"])
                examples = (
                    NearestExamples(stored["examples"], stored["example_intents"])
                    if "examples" in stored
                    else None
                )
        except (ValueError, FileNotFoundError):
            logger.warning("no trained intent classifier in the model: every intent will be empty")
            model, examples = None, None
        return cls(config, model_storage, resource, model, examples)

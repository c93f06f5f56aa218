import * as tf from '@tensorflow/tfjs';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface TiedEmbeddingArgs extends LayerArgs {
  vocabSize: number;
  embeddingSize: number;
}

/**
 * The embedding and the tied output layer (Press & Wolf 2017) as ONE layer applied twice in a LayersModel:
 *   ids [batch, time]               → E[ids]      [batch, time, E]
 *   hidden [batch, time, E]         → hidden·Eᵀ + b  [batch, time, V]
 * so the exported model stores the matrix once and no layer has to find another after loading.
 */
export class TiedEmbedding extends tf.layers.Layer {
  static className = 'RnnlmTiedEmbedding';
  readonly vocabSize: number;
  readonly embeddingSize: number;
  private embeddings!: tf.LayerVariable;
  private outputBias!: tf.LayerVariable;

  constructor({ vocabSize, embeddingSize, ...layerArgs }: TiedEmbeddingArgs) {
    super(layerArgs);
    this.vocabSize = vocabSize;
    this.embeddingSize = embeddingSize;
  }

  override build(): void {
    this.embeddings = this.addWeight('embeddings', [this.vocabSize, this.embeddingSize], 'float32', tf.initializers.zeros());
    this.outputBias = this.addWeight('output_bias', [this.vocabSize], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor;
    return tf.tidy(() => {
      if (x.rank === 2) return tf.gather(this.embeddings.read(), tf.cast(x, 'int32'));
      const [batch, time, width] = x.shape as [number, number, number];
      const flat = tf.reshape(x, [batch * time, width]) as tf.Tensor2D;
      const logits = tf.add(tf.matMul(flat, this.embeddings.read() as tf.Tensor2D, false, true), this.outputBias.read());
      return tf.reshape(logits, [batch, time, this.vocabSize]);
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return shape.length === 2 ? [shape[0], shape[1], this.embeddingSize] : [shape[0], shape[1], this.vocabSize];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), vocabSize: this.vocabSize, embeddingSize: this.embeddingSize };
  }
}
tf.serialization.registerClass(TiedEmbedding);
